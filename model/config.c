#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The schema is split into tables, one per group of modules (model/schema_*.c), each ended by
 * an entry with section NULL.  A key absent from every table is a configuration error. */
static const CfgKey *const schema_tables[] = {bg_schema_core, bg_schema_chem, bg_schema_emis};
#define NTABLES (sizeof schema_tables / sizeof *schema_tables)

static const char *const family_sections[] = {"init", "boundary"};
static const char *const family_prefixes[] = {"constant.", "profile."};

/* Named sections ("region urumqi", "scenario coal") match the schema's "region *" entries. */
static const char *schema_section(const char *section, char *buf, size_t n)
{
    const char *sp = strchr(section, ' ');
    if (!sp || !sp[1] || strchr(sp + 1, ' ')) return section;
    snprintf(buf, n, "%.*s *", (int)(sp - section), section);
    return buf;
}

static const CfgKey *schema_find(const char *section, const char *key)
{
    char buf[160];
    const char *sec = schema_section(section, buf, sizeof buf);
    for (size_t t = 0; t < NTABLES; t++)
        for (const CfgKey *k = schema_tables[t]; k->section; k++)
            if (!strcmp(k->section, sec) && !strcmp(k->key, key)) return k;
    return NULL;
}

static int section_known(const char *section)
{
    char buf[160];
    const char *sec = schema_section(section, buf, sizeof buf);
    if (strchr(section, '*')) return 0;
    for (size_t t = 0; t < NTABLES; t++)
        for (const CfgKey *k = schema_tables[t]; k->section; k++)
            if (!strcmp(k->section, sec)) return 1;
    return 0;
}

/* Keys that may be given several times (every line is kept). */
int config_repeatable(const char *section, const char *key)
{
    return !strncmp(section, "scenario ", 9) && !strcmp(key, "control");
}

static int key_known(const char *section, const char *key)
{
    if (schema_find(section, key)) return 1;
    if (!strcmp(section, "tracers") && !strncmp(key, "emit.", 5) && key[5]) return 1;
    for (size_t s = 0; s < sizeof family_sections / sizeof *family_sections; s++) {
        if (strcmp(section, family_sections[s])) continue;
        for (size_t p = 0; p < sizeof family_prefixes / sizeof *family_prefixes; p++) {
            size_t n = strlen(family_prefixes[p]);
            if (!strncmp(key, family_prefixes[p], n) && key[n]) return 1;
        }
    }
    return 0;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int add_entry(Config *c, const char *section, const char *key, const char *value, int line,
                     int from_default)
{
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 64;
        CfgEntry *ne = realloc(c->e, (size_t)cap * sizeof *ne);
        if (!ne) return -1;
        c->e = ne;
        c->cap = cap;
    }
    CfgEntry *en = &c->e[c->n];
    en->section = xstrdup(section);
    en->key = xstrdup(key);
    en->value = xstrdup(value);
    en->line = line;
    en->from_default = from_default;
    if (!en->section || !en->key || !en->value) return -1;
    c->n++;
    return 0;
}

/* The Debian inih build has no line numbers in the handler, so the reader counts lines; inih
 * calls the handler right after reading each line. */
typedef struct {
    FILE *f;
    int line;
    Config *c;
    BgErr *e;
    int continuation; /* the line just read starts with whitespace */
} ParseCtx;

static char *count_reader(char *str, int num, void *stream)
{
    ParseCtx *p = stream;
    char *r = fgets(str, num, p->f);
    if (r) {
        p->line++;
        p->continuation = (r[0] == ' ' || r[0] == '\t');
    }
    return r;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    ParseCtx *p = user;
    char where[64];
    snprintf(where, sizeof where, "%d", p->line);
    if (!*section) {
        bg_fail(p->e, BG_ECONFIG, p->c->path, where, "key '%s' outside any section", name);
        return 0;
    }
    if (!section_known(section)) {
        bg_fail(p->e, BG_ECONFIG, p->c->path, where, "unknown section [%s]", section);
        return 0;
    }
    if (!name) return 1; /* section header only (INI_CALL_HANDLER_ON_NEW_SECTION builds) */
    if (!key_known(section, name)) {
        bg_fail(p->e, BG_ECONFIG, p->c->path, where, "unknown key '%s' in section [%s]", name,
                section);
        return 0;
    }
    /* a continuation line (indented, inih's multi-line values) extends the previous value */
    if (p->continuation && p->c->n > 0) {
        CfgEntry *last = &p->c->e[p->c->n - 1];
        if (!strcmp(last->section, section) && !strcmp(last->key, name)) {
            size_t n = strlen(last->value) + strlen(value) + 2;
            char *nv = realloc(last->value, n);
            if (!nv) return 0;
            strcat(nv, " ");
            strcat(nv, value);
            last->value = nv;
            return 1;
        }
    }
    for (int i = 0; i < p->c->n && !config_repeatable(section, name); i++) {
        CfgEntry *o = &p->c->e[i];
        if (!strcmp(o->section, section) && !strcmp(o->key, name)) {
            bg_fail(p->e, BG_ECONFIG, p->c->path, where,
                    "key '%s' repeated in section [%s] (first at line %d)", name, section, o->line);
            return 0;
        }
    }
    if (add_entry(p->c, section, name, value, p->line, 0)) {
        bg_fail(p->e, BG_EFAIL, p->c->path, NULL, "out of memory");
        return 0;
    }
    return 1;
}

static CfgEntry *find_mut(Config *c, const char *section, const char *key)
{
    for (int i = c->n - 1; i >= 0; i--)
        if (!strcmp(c->e[i].section, section) && !strcmp(c->e[i].key, key)) return &c->e[i];
    return NULL;
}

/* inih reads a line into a buffer of INI_MAX_LINE (200) bytes and parses the rest of a longer
 * line as the next one, so an over-long value became "malformed line" one line further down;
 * and an unterminated "[section" was taken as a key of the section before.  Both are found
 * here first, with the line's own number. */
enum { CFG_MAX_LINE = 199 };

static int prescan(FILE *f, const char *path, BgErr *e)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int n = 0, rc = BG_OK;
    while (rc == BG_OK && (len = getline(&line, &cap, f)) >= 0) {
        n++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        char where[32];
        snprintf(where, sizeof where, "%d", n);
        if (len > CFG_MAX_LINE)
            rc = bg_fail(e, BG_ECONFIG, path, where,
                         "line of %zd characters, longer than the %d the INI reader takes: continue the value on "
                         "indented lines", len, (int)CFG_MAX_LINE);
        /* an indented line is a continuation of the value before, whatever it starts with */
        else if (line[0] == '[' && !strchr(line, ']'))
            rc = bg_fail(e, BG_ECONFIG, path, where, "section header without its closing ']'");
    }
    free(line);
    rewind(f);
    return rc;
}

int config_load(Config *c, const char *path, char *const *overrides, int noverrides, BgErr *e)
{
    memset(c, 0, sizeof *c);
    snprintf(c->path, sizeof c->path, "%s", path);
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return bg_fail(e, BG_ECONFIG, path, NULL, "is a directory, not a configuration file");
    FILE *f = fopen(path, "r");
    if (!f) return bg_fail(e, BG_ECONFIG, path, NULL, "cannot open configuration file");
    if (prescan(f, path, e)) {
        fclose(f);
        return e->code;
    }
    ParseCtx p = {.f = f, .line = 0, .c = c, .e = e};
    int rc = ini_parse_stream(count_reader, &p, handler, &p);
    fclose(f);
    if (e->code) return e->code;
    if (rc > 0) {
        char where[32];
        snprintf(where, sizeof where, "%d", rc);
        return bg_fail(e, BG_ECONFIG, path, where, "malformed line (expected [section] or key = value)");
    }
    if (rc < 0) return bg_fail(e, BG_ECONFIG, path, NULL, "cannot read configuration file");

    for (int i = 0; i < noverrides; i++) {
        const char *o = overrides[i];
        const char *dot = strchr(o, '.');
        const char *eq = dot ? strchr(dot, '=') : NULL;
        if (!dot || !eq || dot == o || eq == dot + 1)
            return bg_fail(e, BG_ECONFIG, "--set", o, "expected section.key=value");
        char section[128], key[128];
        snprintf(section, sizeof section, "%.*s", (int)(dot - o), o);
        snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
        /* trim */
        char *k = key;
        while (isspace((unsigned char)*k)) k++;
        for (char *z = k + strlen(k); z > k && isspace((unsigned char)z[-1]); ) *--z = 0;
        const char *v = eq + 1;
        while (isspace((unsigned char)*v)) v++;
        if (!section_known(section))
            return bg_fail(e, BG_ECONFIG, "--set", o, "unknown section [%s]", section);
        if (!key_known(section, k))
            return bg_fail(e, BG_ECONFIG, "--set", o, "unknown key '%s' in section [%s]", k, section);
        CfgEntry *en = find_mut(c, section, k);
        if (en && config_repeatable(section, k)) {
            /* --set replaces every line of a repeatable key */
            int w = 0;
            for (int r = 0; r < c->n; r++) {
                if (!strcmp(c->e[r].section, section) && !strcmp(c->e[r].key, k)) {
                    free(c->e[r].section);
                    free(c->e[r].key);
                    free(c->e[r].value);
                } else {
                    c->e[w++] = c->e[r];
                }
            }
            c->n = w;
            en = NULL;
        }
        if (en) {
            char *nv = xstrdup(v);
            if (!nv) return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
            free(en->value);
            en->value = nv;
            en->line = -1;
        } else if (add_entry(c, section, k, v, -1, 0)) {
            return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
        }
    }
    for (size_t t = 0; t < NTABLES; t++)
        for (const CfgKey *k = schema_tables[t]; k->section; k++)
            if (!strchr(k->section, '*') && !find_mut(c, k->section, k->key) &&
                add_entry(c, k->section, k->key, k->def, 0, 1))
                return bg_fail(e, BG_EFAIL, NULL, NULL, "out of memory");
    return BG_OK;
}

const CfgEntry *config_next(const Config *c, const char *section, const char *key, const CfgEntry *prev)
{
    int start = prev ? (int)(prev - c->e) + 1 : 0;
    for (int i = start; i < c->n; i++)
        if (!strcmp(c->e[i].section, section) && !strcmp(c->e[i].key, key)) return &c->e[i];
    return NULL;
}

int config_sections(const Config *c, const char *kind, const char **names, int max)
{
    size_t n = strlen(kind);
    int count = 0;
    for (int i = 0; i < c->n; i++) {
        const char *s = c->e[i].section;
        if (strncmp(s, kind, n) || s[n] != ' ') continue;
        int seen = 0;
        for (int j = 0; j < count && !seen; j++) seen = !strcmp(names[j], s + n + 1);
        if (seen) continue;
        if (count == max) return -1;
        names[count++] = s + n + 1;
    }
    return count;
}

void config_free(Config *c)
{
    if (!c) return;
    for (int i = 0; i < c->n; i++) {
        free(c->e[i].section);
        free(c->e[i].key);
        free(c->e[i].value);
    }
    free(c->e);
    memset(c, 0, sizeof *c);
}

const CfgEntry *config_entry(const Config *c, const char *section, const char *key)
{
    return find_mut((Config *)c, section, key);
}

const char *config_get(const Config *c, const char *section, const char *key)
{
    const CfgEntry *en = config_entry(c, section, key);
    return en ? en->value : NULL;
}

void config_where(const Config *c, const CfgEntry *en, char *buf, size_t n)
{
    if (en && en->line > 0)
        snprintf(buf, n, "%s:%d", c->path, en->line);
    else if (en && en->line < 0)
        snprintf(buf, n, "--set");
    else
        snprintf(buf, n, "%s", c->path);
}

static int fail_value(const Config *c, const CfgEntry *en, BgErr *e, const char *what)
{
    char where[1100];
    config_where(c, en, where, sizeof where);
    return bg_fail(e, BG_ECONFIG, where, NULL, "[%s] %s = '%s': %s", en->section, en->key,
                   en->value, what);
}

int config_double(const Config *c, const char *section, const char *key, double *v, BgErr *e)
{
    const CfgEntry *en = config_entry(c, section, key);
    if (!en) return bg_fail(e, BG_ECONFIG, c->path, NULL, "[%s] %s is not set", section, key);
    char *end;
    errno = 0;
    double x = strtod(en->value, &end);
    while (isspace((unsigned char)*end)) end++;
    if (end == en->value || *end || errno || x != x) return fail_value(c, en, e, "not a number");
    *v = x;
    return BG_OK;
}

int config_int(const Config *c, const char *section, const char *key, int *v, BgErr *e)
{
    const CfgEntry *en = config_entry(c, section, key);
    if (!en) return bg_fail(e, BG_ECONFIG, c->path, NULL, "[%s] %s is not set", section, key);
    char *end;
    errno = 0;
    long x = strtol(en->value, &end, 10);
    while (isspace((unsigned char)*end)) end++;
    if (end == en->value || *end || errno || x < -2147483647L || x > 2147483647L)
        return fail_value(c, en, e, "not an integer");
    *v = (int)x;
    return BG_OK;
}

int config_onoff(const Config *c, const char *section, const char *key, int *v, BgErr *e)
{
    const CfgEntry *en = config_entry(c, section, key);
    if (!en) return bg_fail(e, BG_ECONFIG, c->path, NULL, "[%s] %s is not set", section, key);
    if (!strcmp(en->value, "on")) *v = 1;
    else if (!strcmp(en->value, "off")) *v = 0;
    else return fail_value(c, en, e, "expected on or off");
    return BG_OK;
}

static int cmp_entry(const void *a, const void *b)
{
    const CfgEntry *x = a, *y = b;
    int r = strcmp(x->section, y->section);
    return r ? r : strcmp(x->key, y->key);
}

char *config_effective(const Config *c)
{
    CfgEntry *s = malloc((size_t)(c->n ? c->n : 1) * sizeof *s);
    if (!s) return NULL;
    memcpy(s, c->e, (size_t)c->n * sizeof *s);
    qsort(s, (size_t)c->n, sizeof *s, cmp_entry);
    size_t cap = 256, len = 0;
    for (int i = 0; i < c->n; i++) cap += strlen(s[i].section) + strlen(s[i].key) + strlen(s[i].value) + 16;
    char *out = malloc(cap);
    if (!out) { free(s); return NULL; }
    out[0] = 0;
    const char *cur = "";
    for (int i = 0; i < c->n; i++) {
        if (strcmp(cur, s[i].section)) {
            len += (size_t)snprintf(out + len, cap - len, "%s[%s]\n", len ? "\n" : "", s[i].section);
            cur = s[i].section;
        }
        len += (size_t)snprintf(out + len, cap - len, "%s = %s\n", s[i].key, s[i].value);
    }
    free(s);
    return out;
}

void config_hash(const Config *c, char out[17])
{
    /* a continuation (or the next forecast cycle) may change the window, not the physics */
    static const char *const volatile_keys[] = {"start", "spinup_h", "hours", "end", "restart",
                                                "output_dir", "threads", "checkpoint_h", "decomposition"};
    char *text = NULL;
    Config tmp = *c;
    CfgEntry *keep = malloc((size_t)(c->n ? c->n : 1) * sizeof *keep);
    int nk = 0;
    for (int i = 0; keep && i < c->n; i++) {
        int skip = 0;
        if (!strcmp(c->e[i].section, "run"))
            for (size_t k = 0; k < sizeof volatile_keys / sizeof *volatile_keys; k++)
                if (!strcmp(c->e[i].key, volatile_keys[k])) skip = 1;
        /* how a batch groups and ranks its members changes no member's results, nor does the
         * compression of the output */
        if (!strcmp(c->e[i].section, "batch")) skip = 1;
        if (!strcmp(c->e[i].section, "output") && !strcmp(c->e[i].key, "deflate")) skip = 1;
        if (!skip) keep[nk++] = c->e[i];
    }
    tmp.e = keep;
    tmp.n = nk;
    text = keep ? config_effective(&tmp) : NULL;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a 64 offset basis */
    for (const char *p = text ? text : ""; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL; /* FNV prime */
    }
    snprintf(out, 17, "%016llx", (unsigned long long)h);
    free(text);
    free(keep);
}

int config_split(char *s, char **tok, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(s, ", \t\n", &save); t; t = strtok_r(NULL, ", \t\n", &save)) {
        if (n == max) return -1;
        tok[n++] = t;
    }
    return n;
}
