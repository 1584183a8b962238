/* Configuration: INI files parsed with inih into a store of (section, key, value, line) entries,
 * checked against a schema of known keys with defaults and units (config/README.md lists them).
 * Keys are exact; a few sections accept families of keys (constant.SPECIES, profile.SPECIES).
 * Repeatable keys (control) keep every line. */
#ifndef BOGDA_CONFIG_H
#define BOGDA_CONFIG_H

#include <stddef.h>

#include "err.h"

typedef struct CfgEntry {
    char *section, *key, *value;
    int line;          /* line in the file; 0 for defaults, -1 for --set */
    int from_default;
} CfgEntry;

typedef struct Config {
    char path[1024];
    CfgEntry *e;
    int n, cap;
} Config;

/* Parses path, applies the overrides ("section.key=value", split at the first '.'), checks every
 * section and key against the schema and fills in defaults.  BG_ECONFIG with file:line on error. */
int config_load(Config *c, const char *path, char *const *overrides, int noverrides, BgErr *e);
void config_free(Config *c);

/* The value of section.key (the last one when repeated), or NULL. */
const char *config_get(const Config *c, const char *section, const char *key);
const CfgEntry *config_entry(const Config *c, const char *section, const char *key);

/* Every line of a repeatable key in order: start with prev = NULL. */
const CfgEntry *config_next(const Config *c, const char *section, const char *key, const CfgEntry *prev);
/* The names of the sections "[KIND NAME]" (e.g. kind "scenario"), in order of appearance; the
 * pointers stay valid while c lives.  -1 if more than max. */
int config_sections(const Config *c, const char *kind, const char **names, int max);
int config_repeatable(const char *section, const char *key);

/* Typed getters; on a malformed value they fail with BG_ECONFIG naming file:line and key. */
int config_double(const Config *c, const char *section, const char *key, double *v, BgErr *e);
int config_int(const Config *c, const char *section, const char *key, int *v, BgErr *e);
int config_onoff(const Config *c, const char *section, const char *key, int *v, BgErr *e);

/* "file:line" (or "file" / "--set") of an entry, for messages. */
void config_where(const Config *c, const CfgEntry *en, char *buf, size_t n);

/* The effective configuration, defaults included, as INI text (caller frees). */
char *config_effective(const Config *c);
/* FNV-1a 64-bit hash (hex) of the effective configuration, excluding keys that may change
 * between a run and its continuation or the next forecast cycle ([run] start, spinup_h, hours,
 * end, restart, output_dir, threads, checkpoint_h, decomposition). */
void config_hash(const Config *c, char out[17]);

/* The schema: one table per group of modules, each ended by an entry with section NULL
 * (model/schema_core.c, schema_chem.c, schema_emis.c).  config/README.md lists every key; a test
 * checks that it does. */
typedef struct CfgKey {
    const char *section, *key, *def, *unit, *doc;
} CfgKey;
extern const CfgKey bg_schema_core[], bg_schema_chem[], bg_schema_emis[];

/* Splits a comma- and/or whitespace-separated list in place into at most max tokens. */
int config_split(char *s, char **tok, int max);

#endif
