# Bogda — build, test, demo, bench.  See README.md.
CC      ?= gcc
PKGS    := netcdf proj gsl inih cairo
BUILD   ?= build
OPT     ?= portable
SAN     ?=
EXTRA_CFLAGS ?=

ARCHFLAGS := $(if $(filter native,$(OPT)),-march=native,)
SANITIZE  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
SANFLAGS  := $(if $(SAN),$(SANITIZE))
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  := -std=c11 -O2 -g -Wall -Wextra -Werror -fopenmp -D_DEFAULT_SOURCE $(ARCHFLAGS) $(SANFLAGS) \
           -Imodel -Iinput -Ipostproc $(PKG_CFLAGS) $(EXTRA_CFLAGS)
# MPI (OpenMPI's ompi-c): the batch spreads member groups over ranks (model/parallel.h)
MPI_CFLAGS := $(shell pkg-config --cflags ompi-c 2>/dev/null)
MPI_LIBS   := $(shell pkg-config --libs ompi-c 2>/dev/null)
CFLAGS  += $(if $(MPI_LIBS),-DBOGDA_MPI $(MPI_CFLAGS))
LDLIBS  := $(PKG_LIBS) $(MPI_LIBS) -ludunits2 -lm
LDFLAGS := -fopenmp $(SANFLAGS)
TEST_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
TEST_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)

LIB_SRC  := $(filter-out model/main.c,$(wildcard model/*.c input/*.c postproc/*.c))
LIB_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRC))
MAIN_OBJ := $(BUILD)/obj/model/main.o
TEST_SRC := $(wildcard validation/tests/test_*.c)
TEST_BIN := $(patsubst validation/tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
BOGDA    := $(if $(filter build,$(BUILD)),bin/bogda,$(BUILD)/bin/bogda)

DEB_PKGS := gcc make pkg-config libnetcdf-dev netcdf-bin libproj-dev proj-data libgsl-dev \
            libinih-dev libudunits2-dev libcmocka-dev libcairo2-dev libopenmpi-dev openmpi-bin

.PHONY: all deps test test-plain test-asan portable-bin demo bench bench-batch clean check-deps
all: $(BOGDA)

$(BOGDA): $(LIB_OBJ) $(MAIN_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# chem.c: sqrt without errno, so that the lane loops holding it vectorise (no value changes)
$(BUILD)/obj/model/chem.o: CFLAGS += -fno-math-errno

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: validation/tests/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -o $@ $< $(LIB_OBJ) $(LDFLAGS) $(TEST_LIBS) $(LDLIBS)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Installs the Debian packages that are missing (as root), else prints the command to run.
deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "make deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "make deps: missing Debian packages; run as root:"; \
	  echo "  apt-get install -y$$missing"; exit 1; fi

# The unit and whole-model tests, plain and under AddressSanitizer+UBSan (separate build dir).
test: deps
	$(MAKE) test-plain
	$(MAKE) test-asan

test-plain: all $(TEST_BIN) portable-bin
	@BOGDA=$(abspath $(BOGDA)) BOGDA_PORTABLE=$(abspath build-portable/bin/bogda) TESTBIN=$(BUILD)/tests \
	  sh validation/run_tests.sh

# the program with the portable path of the hot kernels only (model/simd.h): test_portable runs a
# case with it and with the multi-versioned build and compares the outputs bit for bit
portable-bin:
	$(MAKE) BUILD=build-portable SAN= EXTRA_CFLAGS=-DBOGDA_NO_CLONES build-portable/bin/bogda

test-asan:
	$(MAKE) BUILD=build-asan SAN=1 test-plain

demo: deps all
	sh config/demo.sh

bench: deps all
	sh bench/run_bench.sh

# the scenario batch against separate runs (bench/README.md)
bench-batch: deps all
	sh bench/run_batch_bench.sh

clean:
	rm -rf build build-asan build-portable bin
