#include "state.h"

#include <stdlib.h>
#include <string.h>

int state_alloc(State *s, int nx, int ny, int nz, int nspec)
{
    memset(s, 0, sizeof *s);
    s->nx = nx;
    s->ny = ny;
    s->nz = nz;
    s->nspec = nspec;
    s->spec = calloc((size_t)(nspec > 0 ? nspec : 1), sizeof *s->spec);
    s->q = calloc((size_t)nspec * nx * ny * nz + 1, sizeof *s->q);
    return (s->spec && s->q) ? 0 : -1;
}

void state_free(State *s)
{
    if (!s) return;
    free(s->spec);
    free(s->q);
    free(s->chem_h);
    memset(s, 0, sizeof *s);
}
