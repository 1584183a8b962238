/* bogda box: the 0-D chemistry + aerosol box model (DESIGN 2.1, 2.2 [box], 2.4 box.csv), running
 * the same chemistry (chem.h) and aerosol (aerosol.h) code as the 3-D model in one cell. */
#ifndef BOGDA_BOX_H
#define BOGDA_BOX_H

#include "err.h"

/* The usage text of `bogda box`. */
extern const char box_usage[];

/* `bogda box CONFIG [--set section.key=value]...`; argv[0] is "box".  --help prints the usage
 * on stdout and returns 0.  Writes box.csv (time_h, NAME_ppb for gases, NAME_ugm3 for aerosol at
 * the box's T and p, then the diagnosed PM25_ugm3 and PM10_ugm3) into [box] output_dir, under a
 * temporary name renamed when complete.  Returns 0, or BG_ECONFIG / BG_EINPUT / BG_EFAIL with
 * e filled ("<file>:<item>: what"). */
int box_main(int argc, char **argv, BgErr *e);

#endif
