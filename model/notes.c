#include "notes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void notes_add(char **notes, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t old = *notes ? strlen(*notes) : 0, l = strlen(line);
    char *s = realloc(*notes, old + l + 2);
    if (!s) return;
    memcpy(s + old, line, l);
    s[old + l] = '\n';
    s[old + l + 1] = '\0';
    *notes = s;
}
