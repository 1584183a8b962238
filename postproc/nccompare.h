/* Exact comparison of two NetCDF files, variable by variable (root group only).
 * Used by the tests for "restart equals continuous run" and "1 thread equals 2 threads". */
#ifndef BOGDA_NCCOMPARE_H
#define BOGDA_NCCOMPARE_H

#include <stddef.h>

/* Compares every variable of a and b: the same names, types and shapes (dimension lengths) and
 * the same values bit for bit (any numeric type or char; NaNs with equal bits are equal).
 * Attributes are not compared.  skip_vars: NULL-terminated list of variable names to ignore, or
 * NULL.  *ndiff receives the number of differing values; a variable present in only one file or
 * of another type or shape counts as all its values (at least 1).  report (n bytes) receives a
 * short description of the first difference, or "identical".
 * Returns 0 when the comparison could be made, -1 when a file could not be opened or read (the
 * reason is in report, *ndiff is then meaningless). */
int nc_compare_files(const char *a, const char *b, const char *const *skip_vars, long *ndiff,
                     char *report, size_t n);

#endif
