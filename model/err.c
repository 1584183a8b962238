#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int bg_fail(BgErr *e, int code, const char *file, const char *item, const char *fmt, ...)
{
    if (!e || e->code != BG_OK) return code;
    e->code = code;
    size_t n = 0;
    if (file && *file) n += (size_t)snprintf(e->msg, sizeof e->msg, "%s", file);
    if (item && *item && n < sizeof e->msg)
        n += (size_t)snprintf(e->msg + n, sizeof e->msg - n, ":%s", item);
    if (n < sizeof e->msg) n += (size_t)snprintf(e->msg + n, sizeof e->msg - n, "%s", n ? ": " : "");
    if (n < sizeof e->msg) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg + n, sizeof e->msg - n, fmt, ap);
        va_end(ap);
    }
    return code;
}
