#ifndef BOGDA_SIMD_H
#define BOGDA_SIMD_H
/* Function multi-versioning of the hot kernels (advection tiles, diffusion chunks, the chemistry
 * lanes): GCC compiles them for the portable target, for AVX2 and for AVX-512 and picks one at
 * load time by the CPU, so the default build stays portable.  Every path computes the same bits
 * (the same IEEE operations; -std=c11 keeps FMA contraction off).  -DBOGDA_NO_CLONES builds the
 * portable path only: `make test` runs a case with both builds and compares the outputs bit for
 * bit (validation/tests/test_portable.c). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__gnu_linux__) && \
    !defined(BOGDA_NO_CLONES)
#define BOGDA_CLONES 1
#else
#define BOGDA_CLONES 0
#endif

#endif
