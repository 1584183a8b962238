/* Units of species amounts with udunits2 (units.h). */
#include "units.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "state.h"

int units_open(Units *u)
{
    memset(u, 0, sizeof *u);
    /* udunits2 reports parse failures on stderr by default; the module reports its own errors */
    ut_error_message_handler old = ut_set_error_message_handler(ut_ignore);
    u->sys = ut_read_xml(NULL);
    ut_set_error_message_handler(old);
    if (!u->sys) return -1;
    u->one = ut_get_dimensionless_unit_one(u->sys);
    u->kgm3 = ut_parse(u->sys, "kg m-3", UT_ASCII);
    u->pa = ut_parse(u->sys, "Pa", UT_ASCII);
    u->m = ut_parse(u->sys, "m", UT_ASCII);
    return u->one && u->kgm3 && u->pa && u->m ? 0 : -1;
}

void units_close(Units *u)
{
    ut_free(u->kgm3);
    ut_free(u->pa);
    ut_free(u->m);
    ut_free(u->one);
    ut_free_system(u->sys);
}

/* Factor from text to the unit `to`; returns 0, -1 if unparsable, -2 if not convertible. */
int units_factor(const Units *u, const char *text, const ut_unit *to, double *f)
{
    ut_error_message_handler old = ut_set_error_message_handler(ut_ignore);
    ut_unit *x = ut_parse(u->sys, text, UT_UTF8);
    ut_set_error_message_handler(old);
    if (!x) return -1;
    int rc = -2;
    if (ut_are_convertible(x, to)) {
        cv_converter *c = ut_get_converter(x, (ut_unit *)to);
        if (c) {
            /* a unit with an offset (a temperature scale) is no amount of matter */
            if (cv_convert_double(c, 0.0) == 0.0) {
                *f = cv_convert_double(c, 1.0);
                rc = 0;
            }
            cv_free(c);
        }
    }
    ut_free(x);
    return rc;
}

/* Classifies a species variable's units: kind 0 mole fraction, 1 mass concentration; *f the
 * factor to mol mol-1 (mass fractions use M_air / M_s) or to kg m-3.  Returns 0, or -1 with a
 * reason in why. */
int units_species(const Units *u, const char *units, const char *stdname, double molar_mass,
                         int *kind, double *f, int *needs_mm, char *why, size_t nwhy)
{
    *needs_mm = 0;
    if (!units[0]) {
        snprintf(why, nwhy, "has no units attribute");
        return -1;
    }
    double x;
    int rc = units_factor(u, units, u->kgm3, &x);
    if (rc == 0) {
        *kind = 1;
        *f = x;
        *needs_mm = 1;
        return 0;
    }
    rc = units_factor(u, units, u->one, &x);
    if (rc == -1) {
        snprintf(why, nwhy, "units '%s' cannot be parsed", units);
        return -1;
    }
    if (rc == -2) {
        snprintf(why, nwhy, "units '%s' are neither a mixing ratio (kg kg-1, mol mol-1, ppb, ppm) "
                 "nor a mass concentration (ug m-3)", units);
        return -1;
    }
    /* A dimensionless number is a mole or a mass fraction: the unit's own words say which
     * (ppb and ppm are volume = mole fractions in atmospheric chemistry, e.g. CAMS), else the
     * CF standard_name (mole_fraction_of_X_in_air / mass_fraction_of_X_in_air).  Any other word
     * ("degree", "percent") makes a dimensionless number that is not a mixing ratio. */
    static const char *const mass_words[] = {"kg", "g", "mg", "ug", "ng", "gram", "grams", "kilogram",
                                             "kilograms", "microgram", "micrograms", NULL};
    static const char *const mole_words[] = {"mol", "mole", "moles", "mmol", "umol", "nmol", "pmol", "ppm",
                                             "ppmv", "ppb", "ppbv", "ppt", "pptv", NULL};
    int nmass = 0, nmole = 0, nother = 0;
    for (const char *p = units; *p;) {
        if (!isalpha((unsigned char)*p)) {
            p++;
            continue;
        }
        char w[32];
        size_t n = 0;
        while (isalpha((unsigned char)*p)) {
            if (n + 1 < sizeof w) w[n++] = *p;
            p++;
        }
        w[n] = 0;
        int hit = 0;
        for (int i = 0; mass_words[i]; i++)
            if (!strcmp(w, mass_words[i])) nmass++, hit = 1;
        for (int i = 0; mole_words[i]; i++)
            if (!strcmp(w, mole_words[i])) nmole++, hit = 1;
        if (!hit && strcmp(w, "e") && strcmp(w, "E")) nother++; /* "e": the exponent of 1e-9 */
    }
    int mass;
    if (nother || (nmass && nmole)) {
        snprintf(why, nwhy, "units '%s' are not a mixing ratio (kg kg-1, mol mol-1, ppb, ppm) nor a mass "
                 "concentration (ug m-3)", units);
        return -1;
    }
    if (nmass) mass = 1;
    else if (nmole) mass = 0;
    else if (!strncmp(stdname, "mass_fraction_of_", 17)) mass = 1;
    else if (!strncmp(stdname, "mole_fraction_of_", 17)) mass = 0;
    else {
        snprintf(why, nwhy, "units '%s' do not say whether this is a mass or a mole fraction "
                 "(use kg kg-1 or mol mol-1, or standard_name mass_fraction_of_* / "
                 "mole_fraction_of_*)", units);
        return -1;
    }
    *kind = 0;
    if (mass) {
        *needs_mm = 1;
        /* mass fraction w to mole fraction: x = w M_air / M_s */
        *f = x * BG_M_AIR / molar_mass;
    } else {
        *f = x;
    }
    return 0;
}

