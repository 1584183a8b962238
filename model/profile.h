/* Values given in the configuration as a constant ("40") or as a profile over height above
 * ground ("0 40, 1000 45, 5000 60": pairs of metres and value, linear in between, constant beyond
 * the ends).  Used by [init] and [boundary]. */
#ifndef BOGDA_PROFILE_H
#define BOGDA_PROFILE_H

#define BG_PROFILE_MAX 64

typedef struct ValueProfile {
    int n;                       /* 1: constant */
    double z[BG_PROFILE_MAX];    /* m above ground, strictly increasing */
    double v[BG_PROFILE_MAX];
} ValueProfile;

/* Returns 0, or -1 with a reason in why (size n) */
int profile_parse(const char *text, int is_profile, ValueProfile *p, char *why, int n);
double profile_eval(const ValueProfile *p, double z);

#endif
