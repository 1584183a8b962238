/* Small CSV helpers shared by the readers of point sources, stations, profiles and observations. */
#ifndef BOGDA_CSVUTIL_H
#define BOGDA_CSVUTIL_H

/* Strips leading and trailing white space in place; returns the start. */
char *csv_trim(char *s);

/* Splits line in place into at most maxf fields (RFC 4180 quoting: "a, b" and "" inside quotes),
 * each trimmed.  Returns the number of fields found (which may exceed maxf: the rest are counted,
 * not stored), or -1 for an unterminated quote. */
int csv_split(char *line, char **fields, int maxf);

#endif
