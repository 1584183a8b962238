/* Remarks for run.log collected while inputs are read: one growing newline-separated string. */
#ifndef BOGDA_NOTES_H
#define BOGDA_NOTES_H

/* Appends a formatted line to *notes (allocated or grown; free() it).  Out of memory drops the
 * line: a lost remark is not worth failing the run. */
void notes_add(char **notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
