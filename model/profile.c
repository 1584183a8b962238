#include "profile.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int profile_parse(const char *text, int is_profile, ValueProfile *p, char *why, int n)
{
    const char *s = text;
    char *end;
    p->n = 0;
    if (!is_profile) {
        double v = strtod(s, &end);
        while (isspace((unsigned char)*end)) end++;
        if (end == s || *end || !isfinite(v)) {
            snprintf(why, (size_t)n, "not a number");
            return -1;
        }
        p->n = 1;
        p->z[0] = 0.0;
        p->v[0] = v;
        return 0;
    }
    while (*s) {
        double z = strtod(s, &end);
        if (end == s) break;
        s = end;
        double v = strtod(s, &end);
        if (end == s || !isfinite(z) || !isfinite(v)) {
            snprintf(why, (size_t)n, "expected pairs 'height_m value' separated by commas");
            return -1;
        }
        s = end;
        while (isspace((unsigned char)*s)) s++;
        if (*s == ',') s++;
        while (isspace((unsigned char)*s)) s++;
        if (p->n == BG_PROFILE_MAX) {
            snprintf(why, (size_t)n, "more than %d levels", BG_PROFILE_MAX);
            return -1;
        }
        if (p->n > 0 && z <= p->z[p->n - 1]) {
            snprintf(why, (size_t)n, "heights must increase");
            return -1;
        }
        p->z[p->n] = z;
        p->v[p->n] = v;
        p->n++;
    }
    if (*s || p->n == 0) {
        snprintf(why, (size_t)n, "expected pairs 'height_m value' separated by commas");
        return -1;
    }
    return 0;
}

double profile_eval(const ValueProfile *p, double z)
{
    if (p->n == 1 || z <= p->z[0]) return p->v[0];
    if (z >= p->z[p->n - 1]) return p->v[p->n - 1];
    int k = 1;
    while (p->z[k] < z) k++;
    double w = (z - p->z[k - 1]) / (p->z[k] - p->z[k - 1]);
    return p->v[k - 1] + w * (p->v[k] - p->v[k - 1]);
}
