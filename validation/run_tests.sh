#!/bin/sh
# Runs every cmocka test binary in $TESTBIN; prints a closing "N passed, N failed" line.
# Tests run from the repository root; whole-model tests find the program through $BOGDA.
set -u
pass=0; fail=0; failed=""
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
for t in "$TESTBIN"/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    echo "=== $name"
    if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $name"; fi
done
echo
[ -n "$failed" ] && echo "failed test programs:$failed"
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
