/* Error reporting: library code returns a status and fills a BgErr; only main() exits.
 * Message format (DESIGN 2.1): "<file>[:<line or variable>]: <what is wrong>"; main() prefixes
 * "bogda: error: ". */
#ifndef BOGDA_ERR_H
#define BOGDA_ERR_H

enum {
    BG_OK = 0,
    BG_EFAIL = 1,   /* any other failure */
    BG_ECONFIG = 2, /* usage or configuration error */
    BG_EINPUT = 3   /* input data error */
};

typedef struct {
    int code;
    char msg[1024];
} BgErr;

/* Records the first error only (later calls keep it) and returns code.  file or item may be NULL. */
int bg_fail(BgErr *e, int code, const char *file, const char *item, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Propagate a nonzero status. */
#define BG_TRY(expr)                                                                              \
    do {                                                                                          \
        int bg_try_rc_ = (expr);                                                                  \
        if (bg_try_rc_ != BG_OK) return bg_try_rc_;                                               \
    } while (0)

#endif
