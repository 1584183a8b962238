#include "chem.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aerosol.h"
#include "simd.h"

const char *const chem_species_names[CH_NSPEC] = {"ROC", "SO2", "NO",   "NO2",  "O3",
                                                  "NO3", "N2O5", "HNO3", "PSO4", "PNO3"};

/* Molar gas constant, J mol-1 K-1 (CODATA 2018, exact). */
#define R_GAS 8.314462618
/* Molar mass of N2O5, kg mol-1. */
#define M_N2O5 108.010e-3
#define PI 3.14159265358979323846
/* Boltzmann constant, J K-1 (SI 2019, exact). */
#define K_BOLTZMANN 1.380649e-23
/* Standard atmosphere, Pa: the pressure at which the GRS ppm-min constants were fitted. */
#define P_STD 101325.0
/* GRS constants are in ppm-1 min-1: x (1/60 min s-1) x (1e-3 ppm ppb-1). */
#define PPM_MIN_TO_PPB_S (1.0 / 60000.0)

/* Lane kernels are one loop over the lanes each.  Their selects (den < 0 ? ... : ...) must
 * become blends for the loop to vectorise, which GCC does only when it may assume that no
 * floating-point operation traps, and sqrt must be the instruction rather than a call (no errno;
 * sqrt is correctly rounded either way); every operation and its result are unchanged (IEEE, no
 * reassociation: -std=c11 also keeps FMA contraction off, and the objects hold no FMA). */
#if BOGDA_CLONES
/* and, as in rosenbrock.c, an AVX-512, an AVX2 and a portable version picked at load time
 * (model/simd.h).  The AVX-512 one runs a lane loop's 8 lanes as one dependency chain where
 * AVX2 runs two of 4 one after the other: the latency-bound fused attempt costs 0.77 x as much
 * (docs/chemistry.md, "Round 8"). */
#define LANE_KERNEL __attribute__((optimize("no-trapping-math", "no-math-errno"), target_clones("avx512f", "avx2", "default")))
/* The rate kernel (chem_vexp, chem_vlog: bit operations through memcpy) vectorises only without
 * the optimize attribute (with it GCC 12 does not vectorise the inlined bit casts); it has no
 * selects, so it needs no trapping-math licence. */
#define RATE_KERNEL __attribute__((target_clones("avx512f", "avx2", "default")))
#elif defined(__GNUC__) && !defined(__clang__)
/* the portable path alone: what the "default" clone above is */
#define LANE_KERNEL __attribute__((optimize("no-trapping-math", "no-math-errno")))
#define RATE_KERNEL
#else
#define LANE_KERNEL
#define RATE_KERNEL
#endif

/* ---- exp and log for lane loops ------------------------------------------------------------
 * libm's exp and log are calls (errno, special cases), which stop a loop over the cells
 * vectorising; these two are plain arithmetic and bit operations that GCC vectorises, accurate
 * to about 1 ulp for the arguments the rate constants take (|x| < 700 for exp: no range check,
 * larger arguments give wrong values instead of inf or 0; positive normal x for log).  Against glibc they differ by at most 2 ulp (4.4e-16 relative), checked over
 * 1e6 arguments in test_chem (test_vmath), far inside the 1e-14 that the rate constants must
 * hold against libm. */
static inline uint64_t vm_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}
static inline double vm_double(uint64_t u)
{
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* exp: x = n ln2 + r with |r| <= ln2/2 (Cody & Waite 1980: ln2 in two parts, the high part with
 * 32 significant bits so that n ln2_hi is exact), exp(r) by its Taylor series to r^13 (the
 * remainder r^14/14! < 5e-18 relative), 2^n put into the exponent bits.  n is rounded with the
 * 1.5 * 2^52 shifter, whose low bits then hold n as an integer (Muller 2006, Elementary
 * Functions, 11.3; as in glibc's own exp). */
static inline double chem_vexp(double x)
{
    const double LOG2E = 1.4426950408889634074;        /* 1 / ln 2 */
    const double LN2_HI = 6.93147180369123816490e-01;  /* fdlibm's ln2_hi: 32 bits */
    const double LN2_LO = 1.90821492927058770002e-10;  /* ln 2 - LN2_HI */
    const double SHIFT = 6755399441055744.0;            /* 1.5 * 2^52 */
    const double kd = x * LOG2E + SHIFT;
    const uint64_t ki = vm_bits(kd);
    const double n = kd - SHIFT;
    const double r = (x - n * LN2_HI) - n * LN2_LO;
    /* Taylor coefficients 1/k! */
    double p = 1.6059043836821614599e-10;             /* 1/13! */
    p = p * r + 2.0876756987868098979e-09;            /* 1/12! */
    p = p * r + 2.5052108385441718775e-08;            /* 1/11! */
    p = p * r + 2.7557319223985890653e-07;            /* 1/10! */
    p = p * r + 2.7557319223985890653e-06;            /* 1/9! */
    p = p * r + 2.4801587301587301587e-05;            /* 1/8! */
    p = p * r + 1.9841269841269841270e-04;            /* 1/7! */
    p = p * r + 1.3888888888888888889e-03;            /* 1/6! */
    p = p * r + 8.3333333333333333333e-03;            /* 1/5! */
    p = p * r + 4.1666666666666666667e-02;            /* 1/4! */
    p = p * r + 1.6666666666666666667e-01;            /* 1/3! */
    p = p * r + 0.5;
    const double er = 1.0 + (r + r * r * p);          /* the small part added last */
    /* 2^n: (n + 1023) in the exponent field; n + 1023 is in [14, 2033] for |x| < 700 */
    const double scale = vm_double((ki + 1023u) << 52);
    return er * scale;
}

/* log of a positive normal x: x = 2^k m with m in [sqrt(2)/2, sqrt(2)), f = m - 1, s = f/(2+f),
 * log(m) = f - s (f - R(s^2)) with the minimax polynomial R of fdlibm's e_log.c (Sun
 * Microsystems 1993; error below 1 ulp), the two forms of fdlibm selected without a branch. */
static inline double chem_vlog(double x)
{
    const double LN2_HI = 6.93147180369123816490e-01, LN2_LO = 1.90821492927058770002e-10;
    const double LG1 = 6.666666666666735130e-01, LG2 = 3.999999999940941908e-01,
                 LG3 = 2.857142874366239149e-01, LG4 = 2.222219843214978396e-01,
                 LG5 = 1.818357216161805012e-01, LG6 = 1.531383769920937332e-01,
                 LG7 = 1.479819860511658591e-01;
    const uint64_t u = vm_bits(x);
    const uint64_t hx = (u >> 32) & 0x000fffffu;               /* high word of the mantissa */
    const uint64_t i = (hx + 0x95f64u) & 0x100000u;            /* m >= sqrt(2): one more */
    const uint64_t mb = (u & 0x000fffffffffffffu) | ((i ^ 0x100000u) << 32 | 0x3fe0000000000000u);
    const double m = vm_double(mb);
    /* k = biased exponent - 1023 + (i != 0), as a double through the 2^52 shifter */
    const uint64_t kb = (u >> 52) + (i >> 20);                 /* k + 1023 */
    const double dk = vm_double(0x4330000000000000u | kb) - (4503599627370496.0 + 1023.0);
    const double f = m - 1.0;
    const double s = f / (2.0 + f);
    const double z = s * s, w = z * z;
    const double t1 = w * (LG2 + w * (LG4 + w * LG6));
    const double t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    const double R = t2 + t1;
    const double hfsq = 0.5 * f * f;
    const double a = dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f);
    const double b = dk * LN2_HI - ((s * (f - R) - dk * LN2_LO) - f);
    /* fdlibm takes the hfsq form when 0x6147a <= hx <= 0x6b851 (hx - 0x6147a and 0x6b851 - hx
     * both >= 0); selected with a bit mask (the sign bits of the two differences) rather than a
     * compare and a branch, which keeps the loop vectorisable under trapping math and in SSE2
     * (no 64-bit integer compare) */
    const uint64_t outside = ((hx - 0x6147au) | (0x6b851u - hx)) >> 63; /* 1: the other form */
    const uint64_t mask = outside - 1u;                                /* all ones: a */
    return vm_double((vm_bits(a) & mask) | (vm_bits(b) & ~mask));
}

/* Troe fall-off with ln(fc) given: the rate functions pass it as a constant (ln Fc of IUPAC's
 * Fc, the value log() gives) so that no logarithm of a constant is taken per cell. */
static double troe_ln(double k0, double kinf, double lnfc, double M)
{
    const double LN10 = 2.302585092994046;
    double k0m = k0 * M;
    double r = k0m / kinf;
    double n = 0.75 - 1.27 * lnfc / LN10;
    double x = log(r) / (LN10 * n);
    return k0m / (1.0 + r) * exp(lnfc / (1.0 + x * x));
}
#define LN_FC_035 (-1.0498221244986778)  /* log(0.35) */
#define LN_FC_041 (-0.89159811928378363) /* log(0.41) */
#define LN_FC_053 (-0.6348782724359695)  /* log(0.53) */

/* ---- rate constants ------------------------------------------------------------------------
 * GRS (Azzi, Johnson & Cope 1992, rates as in HYSPLIT's GRS module, DESIGN 4.2): bimolecular
 * constants are fitted in ppm-1 min-1 at 1 atm; at the same T a ppb-based constant scales with
 * the number density, i.e. with p / 101325 (Urumqi sits near 900 hPa): k->fp. */
static double k_r1(const ChemKin *k)
{
    /* dark (J = 0): 0 exactly, without the exponential (the same value: 0 x finite) */
    return k->env->j.jno2 > 0 ? k->env->j.jno2 * 1.0e4 * exp(-4710.0 / k->T) : k->env->j.jno2 * 1.0e4;
}
static double k_r2(const ChemKin *k) { return 5482.0 * exp(242.0 / k->T) * k->fp * PPM_MIN_TO_PPB_S; }
static double k_r3(const ChemKin *k) { return k->env->j.jno2; }
static double k_r4(const ChemKin *k) { return 2643.0 * exp(-1370.0 / k->T) * k->fp * PPM_MIN_TO_PPB_S; }
static double k_r5(const ChemKin *k) { return 1.0e4 * k->fp * PPM_MIN_TO_PPB_S; }
static double k_r6(const ChemKin *k) { return 125.0 * k->fp * PPM_MIN_TO_PPB_S; }

/* Night-time NOy and OH reactions: IUPAC recommendations (Atkinson et al. 2004, ACP 4, 1461;
 * IUPAC Task Group on Atmospheric Chemical Kinetic Data Evaluation), as listed in DESIGN 4.2;
 * (T/300)^n = exp(n ln(T/300)). */
static double k_n1(const ChemKin *k) { return 1.4e-13 * exp(-2470.0 / k->T) * k->ppb; }
static double k_n2(const ChemKin *k) { return 1.8e-11 * exp(110.0 / k->T) * k->ppb; }
static double k_n3(const ChemKin *k) { return k->env->j.jno3_no2; }
static double k_n4(const ChemKin *k) { return k->env->j.jno3_no; }
static double k_n5(const ChemKin *k)
{
    return troe_ln(3.6e-30 * exp(-4.1 * k->ln_t), 1.9e-12 * exp(0.2 * k->ln_t), LN_FC_035, k->M) * k->ppb;
}
static double k_n6(const ChemKin *k)
{
    return troe_ln(1.3e-3 * exp(-3.5 * k->ln_t - 11000.0 / k->T),
                   9.7e14 * exp(0.1 * k->ln_t - 11080.0 / k->T), LN_FC_035, k->M);
}
static double k_h1(const ChemKin *k) { return k->env->k_n2o5_het; }
static double k_o1(const ChemKin *k)
{
    /* no OH at night: 0 exactly (finite x 0), without the fall-off expression */
    if (!(k->env->oh > 0)) return 0.0 * k->env->oh;
    return troe_ln(3.2e-30 * exp(-4.5 * k->ln_t), 3.0e-11, LN_FC_041, k->M) * k->env->oh;
}
static double k_o2(const ChemKin *k)
{
    if (!(k->env->oh > 0)) return 0.0 * k->env->oh;
    return troe_ln(2.8e-31 * exp(-2.6 * k->ln_t), 2.0e-12, LN_FC_053, k->M) * k->env->oh;
}
static double k_a1(const ChemKin *k) { return k->env->k_so2_aq; }

/* The mechanism.  OH is not a species: OH reactions are pseudo-first order in k.  GRS SGN is
 * HNO3 and SNGN particulate nitrate; the aerosol equilibrium repartitions HNO3 and PNO3.
 * Gas-phase H2SO4 is not carried: at winter condensation sinks of 1e-2 s-1 it condenses within
 * minutes, so OH + SO2 goes straight to PSO4. */
const ChemReaction chem_reactions[] = {
    {"R1", "ROC + hv -> RP + ROC", 1, {CH_ROC, 0}, 2, {CH_RP, CH_ROC, 0}, {1, 1, 0}, k_r1},
    {"R2", "RP + NO -> NO2", 2, {CH_RP, CH_NO}, 1, {CH_NO2, 0, 0}, {1, 0, 0}, k_r2},
    {"R3", "NO2 + hv -> NO + O3", 1, {CH_NO2, 0}, 2, {CH_NO, CH_O3, 0}, {1, 1, 0}, k_r3},
    {"R4", "NO + O3 -> NO2", 2, {CH_NO, CH_O3}, 1, {CH_NO2, 0, 0}, {1, 0, 0}, k_r4},
    {"R5", "RP + RP -> RP", 2, {CH_RP, CH_RP}, 1, {CH_RP, 0, 0}, {1, 0, 0}, k_r5},
    {"R6", "RP + NO2 -> SGN (HNO3)", 2, {CH_RP, CH_NO2}, 1, {CH_HNO3, 0, 0}, {1, 0, 0}, k_r6},
    {"R7", "RP + NO2 -> SNGN (PNO3)", 2, {CH_RP, CH_NO2}, 1, {CH_PNO3, 0, 0}, {1, 0, 0}, k_r6},
    {"N1", "NO2 + O3 -> NO3", 2, {CH_NO2, CH_O3}, 1, {CH_NO3, 0, 0}, {1, 0, 0}, k_n1},
    {"N2", "NO3 + NO -> 2 NO2", 2, {CH_NO3, CH_NO}, 1, {CH_NO2, 0, 0}, {2, 0, 0}, k_n2},
    {"N3", "NO3 + hv -> NO2 + O3", 1, {CH_NO3, 0}, 2, {CH_NO2, CH_O3, 0}, {1, 1, 0}, k_n3},
    {"N4", "NO3 + hv -> NO", 1, {CH_NO3, 0}, 1, {CH_NO, 0, 0}, {1, 0, 0}, k_n4},
    {"N5", "NO2 + NO3 (+M) -> N2O5", 2, {CH_NO2, CH_NO3}, 1, {CH_N2O5, 0, 0}, {1, 0, 0}, k_n5},
    {"N6", "N2O5 (+M) -> NO2 + NO3", 1, {CH_N2O5, 0}, 2, {CH_NO2, CH_NO3, 0}, {1, 1, 0}, k_n6},
    {"H1", "N2O5 + aerosol/fog -> 2 HNO3", 1, {CH_N2O5, 0}, 1, {CH_HNO3, 0, 0}, {2, 0, 0}, k_h1},
    {"O1", "OH + NO2 (+M) -> HNO3", 1, {CH_NO2, 0}, 1, {CH_HNO3, 0, 0}, {1, 0, 0}, k_o1},
    {"O2", "OH + SO2 (+M) -> PSO4", 1, {CH_SO2, 0}, 1, {CH_PSO4, 0, 0}, {1, 0, 0}, k_o2},
    {"A1", "SO2 + cloud/fog/aerosol water -> PSO4", 1, {CH_SO2, 0}, 1, {CH_PSO4, 0, 0}, {1, 0, 0}, k_a1},
};
const int chem_nreactions = sizeof chem_reactions / sizeof *chem_reactions;
#define NR ((int)(sizeof chem_reactions / sizeof *chem_reactions))
/* the two reactions whose rate constants depend on the cell's concentrations (the aerosol and
 * O3 of the heterogeneous and aqueous rates); every other one depends on the met alone
 * (chem_cells_het_lm) */
#define K_H1 13
#define K_A1 16
/* sizes of the flat lists the specialised lane kernels were written from */
#define CHEM_FIXED_NRT 37
#define CHEM_FIXED_NJT 67
#define CHEM_FIXED_NRP 5
#define NS CH_NSPEC

double chem_troe(double k0, double kinf, double fc, double M) { return troe_ln(k0, kinf, log(fc), M); }

double chem_oh(const PhotRates *j)
{
    /* Ehhalt & Rohrer (2000, JGR 105, 3565): OH = a J(O1D)^0.83 J(NO2)^0.19 (b NO2 + 1) /
     * (c NO2^2 + d NO2 + 1), a = 4.1e9, b = 140, c = 0.41, d = 1.7 (NO2 in ppb).  The NO2 factor
     * is evaluated at 10 ppb, the top of the fit's range: beyond it the fit turns into a 1/NO2
     * decline that ignores the HONO and aldehyde radical sources of polluted winter air, and
     * a fixed factor keeps OH a function of the light alone (no state dependence). */
    if (!(j->jo1d > 0) || !(j->jno2 > 0)) return 0.0;
    const double no2 = 10.0;
    double fno2 = (140.0 * no2 + 1.0) / (0.41 * no2 * no2 + 1.7 * no2 + 1.0);
    return 4.1e9 * pow(j->jo1d, 0.83) * pow(j->jno2, 0.19) * fno2;
}

/* ---- mechanism set-up ---------------------------------------------------------------------- */

static int rp_order(const ChemReaction *r)
{
    int q = 0;
    for (int a = 0; a < r->nreac; a++) q += r->reac[a] == CH_RP;
    return q;
}

static double rp_net(const ChemReaction *r)
{
    double nu = -rp_order(r);
    for (int p = 0; p < r->nprod; p++)
        if (r->prod[p] == CH_RP) nu += r->yield[p];
    return nu;
}


int chem_mech_init(ChemMech *m, const SpeciesTable *t, BgErr *e)
{
    memset(m, 0, sizeof *m);
    m->nspec = t->n;
    for (int s = 0; s < NS; s++) {
        m->idx[s] = species_find(t, chem_species_names[s]);
        if (m->idx[s] < 0)
            return bg_fail(e, BG_EINPUT, t->path, chem_species_names[s],
                           "species needed by the chemistry is not in the species table");
        if (!t->s[m->idx[s]].transported)
            return bg_fail(e, BG_EINPUT, t->path, chem_species_names[s],
                           "species needed by the chemistry must be transported (transported = 1)");
    }
    m->nr = NR;
    if (NR > CHEM_MAX_REACTIONS) return bg_fail(e, BG_EFAIL, NULL, NULL, "too many reactions");
    int rpdep[NS] = {0};
    m->nrp = 0;
    for (int r = 0; r < NR; r++) {
        const ChemReaction *re = &chem_reactions[r];
        m->slot[r][0] = m->slot[r][1] = CHEM_ONE;
        for (int a = 0; a < re->nreac; a++) m->slot[r][a] = re->reac[a] == CH_RP ? CHEM_RPSLOT : re->reac[a];
        int q = rp_order(re);
        double nu = rp_net(re);
        if (nu != 0.0) {
            m->rp_r[m->nrp] = r;
            m->rp_q[m->nrp] = q;
            m->rp_nu[m->nrp++] = nu;
            if (q < 2)
                for (int a = 0; a < re->nreac; a++)
                    if (re->reac[a] != CH_RP) rpdep[re->reac[a]] = 1;
        }
    }
    m->nrpdep = 0;
    for (int s = 0; s < NS; s++)
        if (rpdep[s]) m->rpdep[m->nrpdep++] = s;
    /* net stoichiometry (RP left out: R1's ROC nets to zero and drops out) and the Jacobian
     * terms d(rate_r)/dc_j = k_r c[other slot] for a species slot, and k_r c[other slot] q
     * RP^(q-1) dRP/dc_j for an RP slot (d[] holds dRP/dc_j, or 1 at CHEM_ONE) */
    m->nrt = m->njt = 0;
    memset(m->pattern, 0, sizeof m->pattern);
    for (int r = 0; r < NR; r++) {
        const ChemReaction *re = &chem_reactions[r];
        double net[NS] = {0};
        for (int a = 0; a < re->nreac; a++)
            if (re->reac[a] != CH_RP) net[re->reac[a]] -= 1.0;
        for (int p = 0; p < re->nprod; p++)
            if (re->prod[p] != CH_RP) net[re->prod[p]] += re->yield[p];
        for (int s = 0; s < NS; s++) {
            if (net[s] == 0.0) continue;
            if (m->nrt == CHEM_MAX_TERMS) return bg_fail(e, BG_EFAIL, NULL, NULL, "mechanism too large");
            m->rt_r[m->nrt] = r;
            m->rt_s[m->nrt] = s;
            m->rt_c[m->nrt++] = net[s];
            for (int a = 0; a < 2; a++) {
                int sl = m->slot[r][a], other = m->slot[r][1 - a];
                if (sl == CHEM_ONE) continue;
                int ndep = sl == CHEM_RPSLOT ? m->nrpdep : 1;
                /* RP + RP: d(k RP^2) = 2 k RP dRP: the two slots give one term each */
                for (int d = 0; d < ndep; d++) {
                    if (m->njt == CHEM_MAX_TERMS) return bg_fail(e, BG_EFAIL, NULL, NULL, "mechanism too large");
                    int j = sl == CHEM_RPSLOT ? m->rpdep[d] : sl;
                    m->jt_pos[m->njt] = s * NS + j;
                    m->jt_r[m->njt] = r;
                    m->jt_m[m->njt] = other;
                    m->jt_d[m->njt] = sl == CHEM_RPSLOT ? j : CHEM_ONE;
                    m->jt_c[m->njt++] = net[s];
                    m->pattern[s * NS + j] = 1;
                }
            }
        }
    }
    /* the lane kernels below are this mechanism's lists written out (CHEM_FIXED_*) */
    if (m->nrt != CHEM_FIXED_NRT || m->njt != CHEM_FIXED_NJT || m->nrp != CHEM_FIXED_NRP)
        return bg_fail(e, BG_EFAIL, NULL, NULL, "the mechanism table no longer matches the specialised "
                       "lane kernels of chem.c (%d/%d/%d terms): regenerate them", m->nrt, m->njt, m->nrp);
    m->i_pso4 = species_find(t, "PSO4");
    m->i_pno3 = species_find(t, "PNO3");
    m->i_o3 = species_find(t, "O3");
    m->npm = 0;
    for (int i = 0; i < t->n; i++)
        if (t->s[i].phase == SPECIES_AEROSOL && strcmp(t->s[i].name, "PMC")) {
            if (m->npm == CHEM_MAX_PM) return bg_fail(e, BG_EINPUT, t->path, NULL, "more than %d aerosol species", CHEM_MAX_PM);
            m->pm_idx[m->npm++] = i;
        }
    /* Production tolerances (docs/chemistry.md, "Tolerances, accuracy and cost"): they hold
     * the 24-h box runs within 1e-4 relative or 1e-6 ppb of a GSL reference at rtol 1e-8
     * (test_chem: 0.82 of that allowance).  atol is the acceptance test's own absolute
     * allowance, 1e-6 ppb: in the 3-D case the steps of most cells are set by atol (species near
     * zero), and 1e-7 ppb, ten times finer than anything the test resolves, cost 8.7 attempts
     * per cell-step against 5.7 (4-km case, first hour).  rtol cannot follow: 2e-5 exceeds the
     * allowance (1.33). */
    m->rtol = 1e-5;
    m->atol = 1e-6;
    /* First trial step of every call: 20 s rather than the whole 300-s step.  On the 4-km
     * case nearly every cell rejected a 300-s first step twice (the error estimate then asks
     * for less than FAC_MIN x h, and the second rejection cuts tenfold) and climbed back from
     * 6 s; from 20 s it rarely rejects and needs fewer steps in all: 8.2 instead of 11.3
     * attempts per cell-step at noon, 12.0-12.5 instead of 14.8 at sunrise (docs/chemistry.md). */
    m->h0 = 20.0;
    /* Carried step (chem_integrate_cells_qm's h, State.chem_h in the 3-D model): a cell starts
     * each call at the step its previous call ended with instead of h0 (never below h0), and at
     * 0.3 of it when that call rejected a step.  3 h of the 4-km bench case: 5.43 ROS3 attempts
     * per cell-step against 6.21 from h0 alone; carrying without the rejection rule 5.61, 0.2 x
     * after a rejection 5.43, 0.6 x 5.50, 0 (h0) 5.45 (docs/chemistry.md, "Carried step size"). */
    m->h_carry_rej = 0.3;
    m->hmin = 1e-6;
    m->max_steps = 5000;
    m->oh_scale = 1.0;
    return BG_OK;
}

int chem_configure(ChemMech *m, const Config *cfg, BgErr *e)
{
    static const char *const keys[] = {"rtol", "atol", "oh_scale"};
    double *dst[] = {&m->rtol, &m->atol, &m->oh_scale};
    for (int i = 0; i < 3; i++) {
        const char *v = config_get(cfg, "chemistry", keys[i]);
        if (!v || !*v) continue;
        double x;
        BG_TRY(config_double(cfg, "chemistry", keys[i], &x, e));
        int bad = i == 0 ? !(x > 0 && x < 1) : i == 1 ? !(x > 0) : !(x >= 0);
        if (bad) {
            char where[1100];
            config_where(cfg, config_entry(cfg, "chemistry", keys[i]), where, sizeof where);
            return bg_fail(e, BG_ECONFIG, where, NULL, "[chemistry] %s = %s: %s", keys[i], v,
                           i == 0 ? "expected 0 < rtol < 1" : i == 1 ? "expected atol > 0" : "expected >= 0");
        }
        *dst[i] = x;
    }
    return BG_OK;
}

void chem_env_init(ChemEnv *env, const ChemMech *m, double T, double p, double rh, double lwc,
                   const PhotRates *j)
{
    env->T = T;
    env->p = p;
    env->M = p / (K_BOLTZMANN * T) * 1e-6;
    env->rh = rh;
    env->lwc = lwc;
    env->j = *j;
    env->oh = m->oh_scale * chem_oh(j);
    env->k_n2o5_het = 0.0;
    env->k_so2_aq = 0.0;
}

static void het_cells(int nl, const double *T, const double *P, const double *rh, const double *lwc,
                      const double *pm, const double *so4, const double *no3, const double *o3,
                      double *khet, double *kaq);
static void cells_gather(int nl, const double *T, const double *P, int npm, const double *const *pmc,
                         const double *pmm, const double *cso4, double mso4, const double *cno3, double mno3,
                         const double *co3, double *M, double *pm, double *so4, double *no3, double *o3);
static const double zeros[ROS_W];

/* The heterogeneous rates of one cell through the lane kernels (het_cells), so that the box model,
 * the tests and chemproc's chem_cells_rates give a cell the same bits. */
static void env_heterogeneous(ChemEnv *env, const SpeciesTable *t, const double *c, int iso4,
                              int ino3, int io3, const int *pm_idx, int npm)
{
    const double *pmc[CHEM_MAX_PM];
    double pmm[CHEM_MAX_PM], M, pm, so4, no3, o3;
    for (int q = 0; q < npm; q++) pmc[q] = &c[pm_idx[q]], pmm[q] = t->s[pm_idx[q]].molar_mass_kg_mol;
    cells_gather(1, &env->T, &env->p, npm, pmc, pmm, iso4 >= 0 ? &c[iso4] : zeros, iso4 >= 0 ? t->s[iso4].molar_mass_kg_mol : 0.0,
                 ino3 >= 0 ? &c[ino3] : zeros, ino3 >= 0 ? t->s[ino3].molar_mass_kg_mol : 0.0, io3 >= 0 ? &c[io3] : zeros,
                 &M, &pm, &so4, &no3, &o3);
    het_cells(1, &env->T, &env->p, &env->rh, &env->lwc, &pm, &so4, &no3, &o3, &env->k_n2o5_het, &env->k_so2_aq);
}

/* The former scalar code with libm (aerosol.c's functions): the reference of test_chem. */
static void env_heterogeneous_ref(ChemEnv *env, const SpeciesTable *t, const double *c, int iso4,
                              int ino3, int io3, const int *pm_idx, int npm)
{
    double pm = 0.0;
    for (int q = 0; q < npm; q++) pm += species_ppb_to_ugm3(&t->s[pm_idx[q]], c[pm_idx[q]], env->T, env->p);
    double so4 = iso4 >= 0 ? species_ppb_to_ugm3(&t->s[iso4], c[iso4], env->T, env->p) : 0.0;
    double no3 = ino3 >= 0 ? species_ppb_to_ugm3(&t->s[ino3], c[ino3], env->T, env->p) : 0.0;
    double fso4 = pm > 0 ? so4 / pm : 0.0, fno3 = pm > 0 ? no3 / pm : 0.0;
    /* mean molecular speed sqrt(8RT / (pi M)), m s-1; uptake k = gamma cbar S / 4 (DESIGN 4.2;
     * free-molecular limit, Jacob 2000, Atmos. Environ. 34, 2131) */
    double cbar = sqrt(8.0 * R_GAS * env->T / (PI * M_N2O5));
    double s_aer = pm > 0 ? aerosol_surface_area(pm, env->rh) : 0.0;
    double s_drop = env->lwc > 0 ? droplet_surface_area(env->lwc) : 0.0;
    double g_aer = s_aer > 0 ? aerosol_n2o5_gamma(env->T, env->rh, fso4, fno3) : 0.0;
    double g_drop = s_drop > 0 ? aerosol_n2o5_gamma_droplet(env->T) : 0.0;
    /* fine aerosol is near the free-molecular limit; on 10-um fog droplets gas-phase diffusion
     * roughly halves the uptake (Jacob 2000, eq. 1: k = A / (r/Dg + 4/(gamma cbar))) */
    env->k_n2o5_het = 0.25 * cbar * g_aer * s_aer +
                      (s_drop > 0 ? aerosol_uptake_rate(g_drop, env->T, env->p, M_N2O5, s_drop,
                                                        AEROSOL_DROPLET_RADIUS_M)
                                  : 0.0);
    /* H2O2 is not carried (no HO2 chemistry in the GRS): the aqueous path runs on O3 and the
     * aerosol-water parameterisation of aerosol.c. */
    env->k_so2_aq = aerosol_so2_aq_rate(env->T, env->p, env->rh, env->lwc,
                                        io3 >= 0 ? c[io3] : 0.0, 0.0, pm);
}

void chem_env_set_cell(ChemEnv *env, double T, double p, double rh, double lwc)
{
    env->T = T;
    env->p = p;
    env->M = p / (K_BOLTZMANN * T) * 1e-6;
    env->rh = rh;
    env->lwc = lwc;
    env->k_n2o5_het = 0.0;
    env->k_so2_aq = 0.0;
}

void chem_env_heterogeneous(ChemEnv *env, const SpeciesTable *t, const double *c)
{
    int pm_idx[CHEM_MAX_PM], npm = 0;
    for (int i = 0; i < t->n && npm < CHEM_MAX_PM; i++)
        if (t->s[i].phase == SPECIES_AEROSOL && strcmp(t->s[i].name, "PMC")) pm_idx[npm++] = i;
    env_heterogeneous(env, t, c, species_find(t, "PSO4"), species_find(t, "PNO3"), species_find(t, "O3"),
                      pm_idx, npm);
}

void chem_env_heterogeneous_m(ChemEnv *env, const ChemMech *m, const SpeciesTable *t, const double *c)
{
    env_heterogeneous(env, t, c, m->i_pso4, m->i_pno3, m->i_o3, m->pm_idx, m->npm);
}

void chem_env_heterogeneous_ref(ChemEnv *env, const ChemMech *m, const SpeciesTable *t, const double *c)
{
    env_heterogeneous_ref(env, t, c, m->i_pso4, m->i_pno3, m->i_o3, m->pm_idx, m->npm);
}

void chem_rate_constants_ref(const ChemEnv *env, double *k)
{
    ChemKin kin = {env, env->T, env->M, 1e-9 * env->M, env->p / P_STD, log(env->T / 300.0)};
    for (int r = 0; r < NR; r++) k[r] = chem_reactions[r].k(&kin);
}

/* troe_ln with chem_vexp / chem_vlog, for the lane loop of rates_lanes */
static inline double troe_v(double k0, double kinf, double lnfc, double M)
{
    const double LN10 = 2.302585092994046;
    double k0m = k0 * M;
    double r = k0m / kinf;
    double n = 0.75 - 1.27 * lnfc / LN10;
    double x = chem_vlog(r) / (LN10 * n);
    return k0m / (1.0 + r) * chem_vexp(lnfc / (1.0 + x * x));
}

/* The rate functions of chem_reactions[] (k_r1 ... k_a1) for ROS_W cells at once, the same
 * expressions with chem_vexp / chem_vlog for exp / log so that the loop vectorises (9 exp and 3
 * log per cell, 4 more of each where the sun is up).  Written for this mechanism: the reaction
 * order is chem_reactions'; test_chem checks every k against chem_rate_constants_ref (libm)
 * to 1e-14 relative. */
enum { RW = ROS_W };
/* the 14 rate functions that do not depend on the light (k_r1, k_o1, k_o2 are the caller's) */
#define RATES_DARK_PART                                                                            \
    const double t = T[l], m = M[l], ppb = 1e-9 * m, fp = P[l] / P_STD;                            \
    const double ln_t = chem_vlog(t / 300.0);                                                      \
    k[1 * RW_ + l] = 5482.0 * chem_vexp(242.0 / t) * fp * PPM_MIN_TO_PPB_S;                        \
    k[2 * RW_ + l] = jno2[l];                                                                      \
    k[3 * RW_ + l] = 2643.0 * chem_vexp(-1370.0 / t) * fp * PPM_MIN_TO_PPB_S;                      \
    k[4 * RW_ + l] = 1.0e4 * fp * PPM_MIN_TO_PPB_S;                                                \
    k[5 * RW_ + l] = 125.0 * fp * PPM_MIN_TO_PPB_S;                                                \
    k[6 * RW_ + l] = 125.0 * fp * PPM_MIN_TO_PPB_S;                                                \
    k[7 * RW_ + l] = 1.4e-13 * chem_vexp(-2470.0 / t) * ppb;                                       \
    k[8 * RW_ + l] = 1.8e-11 * chem_vexp(110.0 / t) * ppb;                                         \
    k[9 * RW_ + l] = jno3a[l];                                                                     \
    k[10 * RW_ + l] = jno3b[l];                                                                    \
    k[11 * RW_ + l] = troe_v(3.6e-30 * chem_vexp(-4.1 * ln_t), 1.9e-12 * chem_vexp(0.2 * ln_t), LN_FC_035, m) * ppb; \
    k[12 * RW_ + l] = troe_v(1.3e-3 * chem_vexp(-3.5 * ln_t - 11000.0 / t),                       \
                             9.7e14 * chem_vexp(0.1 * ln_t - 11080.0 / t), LN_FC_035, m);          \
    k[K_H1 * RW_ + l] = khet[l];                                                                   \
    k[K_A1 * RW_ + l] = kaq[l];

/* The rate functions of chem_reactions[] (k_r1 ... k_a1) for ROS_W cells at once, the same
 * expressions with chem_vexp / chem_vlog for exp / log so that the loop vectorises (9 exp and 3
 * log per cell, 4 more of each where the sun is up).  Written for this mechanism: the reaction
 * order is chem_reactions'; test_chem checks every k against chem_rate_constants_ref (libm)
 * to 1e-14 relative.
 * lit = 0 (the caller found J(NO2) = 0 and OH = 0 in every lane: night, half of a winter day and
 * the whole first hour of the bench case): k(R1) = J 1e4 exp(-4710/T) and the OH rates = k OH
 * are the lanes' +-0 x a positive finite number, i.e. J 1e4 and OH themselves, so their 5
 * exponentials and 2 logarithms (~40 % of the kernel) are skipped: the same bits (round 7). */
RATE_KERNEL static void rates_lanes(const double *restrict T, const double *restrict M,
                                    const double *restrict P, const double *restrict jno2,
                                    const double *restrict jno3a, const double *restrict jno3b,
                                    const double *restrict oh, const double *restrict khet,
                                    const double *restrict kaq, int nl, double *restrict k, size_t RW_,
                                    int lit)
{
    if (!lit) {
#pragma omp simd
        for (int l = 0; l < nl; l++) {
            RATES_DARK_PART
            k[0 * RW_ + l] = jno2[l] * 1.0e4;
            k[14 * RW_ + l] = oh[l];
            k[15 * RW_ + l] = oh[l];
        }
        return;
    }
#pragma omp simd
    for (int l = 0; l < nl; l++) {
        RATES_DARK_PART
        const double j = jno2[l], o = oh[l];
        /* dark (J = 0): 0 exactly, since 0 x a finite exponential is the 0 that k_r1 returns
         * (J >= 0 always; no select, which GCC would turn into a branch around the exp) */
        k[0 * RW_ + l] = j * 1.0e4 * chem_vexp(-4710.0 / t);
        /* no OH at night: 0 exactly (a finite fall-off constant x 0 is the 0 x OH of k_o1;
         * OH >= 0 always) */
        k[14 * RW_ + l] = troe_v(3.2e-30 * chem_vexp(-4.5 * ln_t), 3.0e-11, LN_FC_041, m) * o;
        k[15 * RW_ + l] = troe_v(2.8e-31 * chem_vexp(-2.6 * ln_t), 2.0e-12, LN_FC_053, m) * o;
    }
}
#undef RATES_DARK_PART

/* 1 if any of the nl lanes has light (J(NO2) or OH not 0; NaN counts as light) */
static int lanes_lit(int nl, const double *jno2, const double *oh)
{
    int lit = 0;
    for (int l = 0; l < nl; l++) lit |= !(jno2[l] == 0.0) | !(oh[l] == 0.0);
    return lit;
}

void chem_rate_constants_n(const ChemEnv *env, int n, double *k)
{
    for (int c0 = 0; c0 < n; c0 += RW) {
        const int nl = n - c0 < RW ? n - c0 : RW;
        double T[RW], M[RW], P[RW], j2[RW], ja[RW], jb[RW], oh[RW], kh[RW], ka[RW], kl[NR * RW];
        for (int l = 0; l < nl; l++) {
            const ChemEnv *e = &env[c0 + l];
            T[l] = e->T, M[l] = e->M, P[l] = e->p;
            j2[l] = e->j.jno2, ja[l] = e->j.jno3_no2, jb[l] = e->j.jno3_no;
            oh[l] = e->oh, kh[l] = e->k_n2o5_het, ka[l] = e->k_so2_aq;
        }
        rates_lanes(T, M, P, j2, ja, jb, oh, kh, ka, nl, kl, RW, lanes_lit(nl, j2, oh));
        for (int l = 0; l < nl; l++)
            for (int r = 0; r < NR; r++) k[(size_t)(c0 + l) * NR + r] = kl[r * RW + l];
    }
}

void chem_rate_constants(const ChemEnv *env, double *k) { chem_rate_constants_n(env, 1, k); }

double chem_exp(double x) { return chem_vexp(x); }
double chem_log(double x) { return chem_vlog(x); }

/* ---- relative humidity and the heterogeneous rates in lanes (issue 7, round 4) --------------
 * The same formulas as chemproc_rh (before) and aerosol.c's aerosol_surface_area,
 * aerosol_n2o5_gamma, aerosol_uptake_rate and aerosol_so2_aq_rate, with chem_vexp / chem_vlog
 * for exp, log, pow and cbrt (cbrt(x) = exp(log(x) / 3), x^1.81 = exp(1.81 log x), 10^y =
 * exp(y ln 10)), so that the loops over the cells vectorise.  test_chem (test_het_vs_libm)
 * checks the rates against the libm functions of aerosol.c to 1e-14 relative.  Each kernel is
 * split in two: the transcendental parts as RATE_KERNEL (no selects) and the selects as
 * LANE_KERNEL (see the two macros). */

/* Bolton (1980), Mon. Wea. Rev. 108, 1046, eq. 10: es = 611.2 exp(17.67 (T - 273.15) /
 * (T - 29.65)) Pa; vapour pressure from the mixing ratio with epsilon = Rd/Rv = 0.622 */
static inline double rh_exp_arg(double T) { return 17.67 * (T - 273.15) / (T - 29.65); }
static inline double rh_from(double qv, double p, double ex)
{
    const double e = qv * p / (0.622 + qv);
    const double es = 611.2 * ex;
    const double rh = e / es;
    return rh < 0 ? 0 : (rh > 1 ? 1 : rh);
}

double chem_rh(double qv, double T, double p) { return rh_from(qv, p, chem_vexp(rh_exp_arg(T))); }

RATE_KERNEL static void rh_exp_lanes(int nl, const double *restrict T, double *restrict ex)
{
#pragma omp simd
    for (int l = 0; l < nl; l++) ex[l] = chem_vexp(rh_exp_arg(T[l]));
}

LANE_KERNEL static void rh_lanes(int nl, const double *restrict qv, const double *restrict p,
                                 const double *restrict ex, double *restrict rh)
{
    /* rh_from written out: GCC does not inline a helper without the kernel's optimize options */
#pragma omp simd
    for (int l = 0; l < nl; l++) {
        const double e = qv[l] * p[l] / (0.622 + qv[l]);
        const double es = 611.2 * ex[l];
        const double r = e / es;
        rh[l] = r < 0 ? 0 : (r > 1 ? 1 : r);
    }
}

void chem_rh_n(int n, const double *qv, const double *T, const double *p, double *rh)
{
    for (int c0 = 0; c0 < n; c0 += RW) {
        const int nl = n - c0 < RW ? n - c0 : RW;
        double ex[RW];
        rh_exp_lanes(nl, T + c0, ex);
        rh_lanes(nl, qv + c0, p + c0, ex, rh + c0);
    }
}

/* ---- the NH4NO3 dissociation constant in lanes (round 7) -------------------------------------
 * aerosol_kp_nh4no3's formulas (Mozurkewich 1993, Atmos. Environ. 27A, 261: Kp, the deliquescence
 * RH and the aqueous correction; coefficients as in aerosol.c) with chem_vexp / chem_vlog for
 * exp, log and pow (w^1.75 = exp(1.75 ln w)), for a level's cells at once: the aerosol
 * equilibrium per cell had been three libm calls (exp, log, exp), 4 % of the chemistry process.
 * test_chem (test_kp_vs_libm) checks the values against aerosol_kp_nh4no3 to 1e-14 relative. */
RATE_KERNEL static void kp_dry_lanes(int nl, const double *restrict T, double *restrict kp,
                                     double *restrict drh, double *restrict lnt)
{
#pragma omp simd
    for (int l = 0; l < nl; l++) {
        const double t = T[l], lt = chem_vlog(t);
        lnt[l] = lt;
        kp[l] = chem_vexp(118.87 - 24084.0 / t - 6.025 * lt);
        drh[l] = chem_vexp(618.3 / t - 2.551);
    }
}

/* the aqueous factor (p1 - p2 w + p3 w^2) w^1.75 for w = 1 - rh in (0, 1] (the caller's w) */
RATE_KERNEL static void kp_aq_lanes(int nl, const double *restrict T, const double *restrict lnt,
                                    const double *restrict w, double *restrict f)
{
#pragma omp simd
    for (int l = 0; l < nl; l++) {
        const double t = T[l], lt = lnt[l], ww = w[l];
        const double p1 = chem_vexp(-135.94 + 8763.0 / t + 19.12 * lt);
        const double p2 = chem_vexp(-122.65 + 9969.0 / t + 16.22 * lt);
        const double p3 = chem_vexp(-182.61 + 13875.0 / t + 24.46 * lt);
        f[l] = (p1 - p2 * ww + p3 * ww * ww) * chem_vexp(1.75 * chem_vlog(ww));
    }
}

LANE_KERNEL static void kp_select_lanes(int nl, const double *restrict rh, const double *restrict drh,
                                        const double *restrict f, double *restrict kp)
{
#pragma omp simd
    for (int l = 0; l < nl; l++) {
        const double r = rh[l] < 0.0 ? 0.0 : rh[l] > 1.0 ? 1.0 : rh[l];
        const double ka = f[l] > 0.0 ? f[l] * kp[l] : 0.0;
        kp[l] = r < drh[l] ? kp[l] : 1.0 - r > 0.0 ? ka : 0.0;
    }
}

void chem_kp_nh4no3_n(int n, const double *T, const double *rh, double *kp)
{
    /* chunks of 64 cells rather than ROS_W: the exponentials are long dependency chains (Horner),
     * and 16 vectors in a loop give the out-of-order core independent work; a cell's value does
     * not depend on the chunk */
    enum { KC = 64 };
    for (int c0 = 0; c0 < n; c0 += KC) {
        const int nl = n - c0 < KC ? n - c0 : KC;
        double drh[KC], lnt[KC], w[KC], f[KC];
        kp_dry_lanes(nl, T + c0, kp + c0, drh, lnt);
        int aq = 0;
        for (int l = 0; l < nl; l++) {
            const double r = rh[c0 + l] < 0.0 ? 0.0 : rh[c0 + l] > 1.0 ? 1.0 : rh[c0 + l];
            aq |= !(r < drh[l]);
            /* a saturated cell (w = 0: Kp = 0) takes w = 1 here, a finite value that is not used */
            w[l] = 1.0 - r > 0.0 ? 1.0 - r : 1.0;
        }
        if (!aq) continue; /* below deliquescence in every cell: the dry Kp */
        kp_aq_lanes(nl, T + c0, lnt, w, f);
        kp_select_lanes(nl, rh + c0, drh, f, kp + c0);
    }
}

/* Water-vapour diffusivity at 273.15 K and 1 atm, m2 s-1, and its T exponent (Massman 1998,
 * Atmos. Environ. 32, 1111), as aerosol.c's diffusivity(). */
#define DH2O_0 0.2178e-4
#define DH2O_TEXP 1.81
/* Standard atmosphere, Pa (definition); reference temperature of the Henry and rate constants,
 * K; molar gas constant in L atm mol-1 K-1 (CODATA 2018): as in aerosol.c. */
#define P_ATM_PA 101325.0
#define T_REF_K 298.15
#define R_LATM 0.082057366
/* 10^0.48: the N2O5 temperature factor of aerosol_n2o5_gamma at and below 282 K */
#define F282 3.0199517204020161
#define LN10_D 2.302585092994046

/* the arguments of the transcendental functions: growth-factor base 1 + kappa rh/(1 - rh) with
 * rh capped as aerosol_growth_factor does, and the exponent of the N2O5 temperature factor */
LANE_KERNEL static void het_args(int nl, const double *restrict T, const double *restrict rh,
                                 double *restrict xg, double *restrict ty)
{
#pragma omp simd
    for (int l = 0; l < nl; l++) {
        const double r = rh[l] < 0.0 ? 0.0 : rh[l] > AEROSOL_RH_MAX ? AEROSOL_RH_MAX : rh[l];
        xg[l] = 1.0 + AEROSOL_KAPPA_DEFAULT * r / (1.0 - r);
        const double tt = T[l] < 282.0 ? 282.0 : T[l];
        ty[l] = -0.04 * (tt - 294.0);
    }
}

/* growth factor cbrt(xg), (T / 273.15)^1.81 of the diffusivity, 10^ty */
RATE_KERNEL static void het_transc(int nl, const double *restrict T, const double *restrict xg,
                                   const double *restrict ty, double *restrict gf,
                                   double *restrict pw, double *restrict f10, int warm)
{
#pragma omp simd
    for (int l = 0; l < nl; l++) {
        gf[l] = chem_vexp(chem_vlog(xg[l]) / 3.0);
        pw[l] = chem_vexp(DH2O_TEXP * chem_vlog(T[l] / 273.15));
    }
    /* het_final reads 10^ty only above 282 K (F282 at and below): in a group of cold cells it
     * is not computed (round 7; the same bits) */
    if (warm) {
#pragma omp simd
        for (int l = 0; l < nl; l++) f10[l] = chem_vexp(ty[l] * LN10_D);
    } else {
        for (int l = 0; l < nl; l++) f10[l] = F282;
    }
}

/* k(N2O5 -> 2 HNO3) on aerosol (free-molecular, gamma of aerosol_n2o5_gamma) and fog droplets
 * (aerosol_uptake_rate with gamma 0.02, radius AEROSOL_DROPLET_RADIUS_M), and the SO2 uptake on
 * wet aerosol of aerosol_so2_aq_rates (gamma of aerosol_so2_gamma); the expressions of
 * env_heterogeneous_ref and aerosol.c, operation for operation */
LANE_KERNEL static void het_final(int nl, const double *restrict T, const double *restrict P,
                                  const double *restrict rh, const double *restrict lwc,
                                  const double *restrict pm, const double *restrict so4,
                                  const double *restrict no3, const double *restrict gf,
                                  const double *restrict pw, const double *restrict f10,
                                  double *restrict khet, double *restrict kaer)
{
    const double sq_n2o5 = sqrt(AEROSOL_M_H2O / M_N2O5), sq_so2 = sqrt(AEROSOL_M_H2O / AEROSOL_M_SO2);
    /* The mean molecular speeds' square roots in the loop: chem.c is compiled with
     * -fno-math-errno (Makefile), so sqrt is the bare instruction and needs no loop of its own
     * (until round 10 the roots ran two lanes at a time through SSE2 beforehand).  This loop
     * itself stays scalar: GCC cannot vectorise the boolean masks of mixed widths it makes of the
     * compound conditions below (docs/chemistry.md, "Round 10"). */
#pragma omp simd
    for (int l = 0; l < nl; l++) {
        const double t = T[l], pr = P[l], r = rh[l], w = lwc[l], m = pm[l], g = gf[l];
        const double cbar = sqrt(8.0 * R_GAS * t / (PI * M_N2O5));
        const double area = 3.0 * (m * 1e-9 / AEROSOL_DENSITY) / AEROSOL_RDRY * g * g;
        const double s_aer = m > 0 ? area : 0.0;
        const double s_drop = w > 0 ? 3.0 * (w * 1e-6) / AEROSOL_DROPLET_RADIUS_M : 0.0;
        const double fso4 = m > 0 ? so4[l] / m : 0.0, fno3 = m > 0 ? no3[l] / m : 0.0;
        double rhp = 100.0 * (r < 0.0 ? 0.0 : r > 1.0 ? 1.0 : r);
        rhp = rhp > 50.0 ? 50.0 : rhp;
        double gam = 2.79e-4 + rhp * (1.30e-4 + rhp * (-3.43e-6 + rhp * 7.52e-8));
        gam *= t <= 282.0 ? F282 : f10[l];
        const double s = fso4 + fno3, fr = fno3 / s;
        const double fn = s > 0.0 ? (fr < 0.0 ? 0.0 : fr > 1.0 ? 1.0 : fr) : 0.0;
        const double g_aer = s_aer > 0 ? gam * (1.0 - 0.9 * fn) : 0.0;
        const double dh2o = DH2O_0 * pw[l] * (P_ATM_PA / pr);
        const double kdrop = s_drop / (AEROSOL_DROPLET_RADIUS_M / (dh2o * sq_n2o5) + 4.0 / (0.02 * cbar));
        khet[l] = 0.25 * cbar * g_aer * s_aer + (s_drop > 0 ? kdrop : 0.0);
        const double gso2 = r <= AEROSOL_RH_EFFLORESCENCE
                                ? 0.0
                                : AEROSOL_SO2_GAMMA_MAX *
                                      ((r - AEROSOL_RH_EFFLORESCENCE) / (AEROSOL_RH_GAMMA_TOP - AEROSOL_RH_EFFLORESCENCE) > 1.0
                                           ? 1.0
                                           : (r - AEROSOL_RH_EFFLORESCENCE) / (AEROSOL_RH_GAMMA_TOP - AEROSOL_RH_EFFLORESCENCE));
        const double cso2 = sqrt(8.0 * R_GAS * t / (PI * AEROSOL_M_SO2));
        const double ka = area / (AEROSOL_RDRY * g / (dh2o * sq_so2) + 4.0 / (gso2 * cso2));
        kaer[l] = (m > 0.0) & (r > AEROSOL_RH_EFFLORESCENCE) & (gso2 > 0.0) & (area > 0.0) ? ka : 0.0;
    }
}

/* the exponentials of the cloud-water chemistry (van 't Hoff and Arrhenius factors of
 * aerosol_so2_aq_rates, Seinfeld & Pandis 2006 Tables 7.2, 7.4, eqs. 7.80; H2O2 is not carried,
 * so its two factors are not needed) */
RATE_KERNEL static void aq_transc(int nl, const double *restrict T, double *restrict e)
{
#pragma omp simd
    for (int l = 0; l < nl; l++) {
        const double dT = 1.0 / T[l] - 1.0 / T_REF_K;
        e[0 * RW + l] = chem_vexp(3145.0 * dT);
        e[1 * RW + l] = chem_vexp(2094.0 * dT);
        e[2 * RW + l] = chem_vexp(1122.0 * dT);
        e[3 * RW + l] = chem_vexp(2536.0 * dT);
        e[4 * RW + l] = chem_vexp(-5530.0 * dT);
        e[5 * RW + l] = chem_vexp(-5280.0 * dT);
    }
}

/* S(IV) + O3 in fog/cloud water at pH AEROSOL_CLOUD_PH_DEFAULT, added to the aerosol path as
 * aerosol_so2_aq_rates sums them (its H2O2 term is 0 exactly without H2O2) */
LANE_KERNEL static void aq_final(int nl, const double *restrict T, const double *restrict P,
                                 const double *restrict lwc, const double *restrict o3,
                                 const double *restrict e, double *restrict kaq)
{
    /* 10^-5: [H+] at pH 5, the value pow(10, -5) returns */
    const double hp = 1e-5;
#pragma omp simd
    for (int l = 0; l < nl; l++) {
        const double w = lwc[l], L = w * 1e-6, rt = R_LATM * T[l], patm = P[l] / P_ATM_PA;
        const double a0 = 1.23 * e[0 * RW + l];
        const double a1 = a0 * (1.3e-2 * e[1 * RW + l]) / hp, a2 = a1 * (6.6e-8 * e[2 * RW + l]) / hp;
        const double ntot = 1.0 / rt + (a0 + a1 + a2) * L;
        const double o3aq = o3[l] > 0.0 ? 1.13e-2 * e[3 * RW + l] * o3[l] * 1e-9 * patm : 0.0;
        const double r_o3 = (2.4e4 * a0 + 3.7e5 * e[4 * RW + l] * a1 + 1.5e9 * e[5 * RW + l] * a2) * o3aq;
        const double ko3 = r_o3 * L / ntot;
        kaq[l] = w > 0.0 ? ko3 + kaq[l] : kaq[l];
    }
}

/* k_n2o5_het and k_so2_aq of nl <= RW cells, each cell's value depending on the cell alone */
static void het_cells(int nl, const double *T, const double *P, const double *rh, const double *lwc,
                      const double *pm, const double *so4, const double *no3, const double *o3,
                      double *khet, double *kaq)
{
    double xg[RW], ty[RW], gf[RW], pw[RW], f10[RW];
    het_args(nl, T, rh, xg, ty);
    int warm = 0;
    for (int l = 0; l < nl; l++) warm |= !(T[l] <= 282.0);
    het_transc(nl, T, xg, ty, gf, pw, f10, warm);
    het_final(nl, T, P, rh, lwc, pm, so4, no3, gf, pw, f10, khet, kaq);
    int wet = 0;
    for (int l = 0; l < nl; l++) wet |= lwc[l] > 0.0;
    if (wet) { /* fog or cloud in the group: cells without liquid water keep kaq as it is */
        double e[6 * RW];
        aq_transc(nl, T, e);
        aq_final(nl, T, P, lwc, o3, e, kaq);
    }
}

/* per cell: M (molecule cm-3, as chem_env_init), PM2.5, PSO4 and PNO3 in ug m-3 (ppb x molar
 * mass x p / (R T), species_ppb_to_ugm3's formula with p / (R T) formed once per cell) and O3
 * (ppb); an absent species reads zeros (0 x finite) */
RATE_KERNEL static void cells_gather(int nl, const double *T, const double *P, int npm, const double *const *pmc,
                                     const double *pmm, const double *cso4, double mso4, const double *cno3,
                                     double mno3, const double *co3, double *M, double *pm, double *so4,
                                     double *no3, double *o3)
{
#pragma omp simd
    for (int l = 0; l < nl; l++) {
        const double fac = P[l] / (R_GAS * T[l]);
        M[l] = P[l] / (K_BOLTZMANN * T[l]) * 1e-6;
        double sum = 0.0;
        for (int q = 0; q < npm; q++) sum += pmc[q][l] * pmm[q] * fac;
        pm[l] = sum;
        so4[l] = cso4[l] * mso4 * fac;
        no3[l] = cno3[l] * mno3 * fac;
        o3[l] = co3[l];
    }
}

/* M and the heterogeneous and aqueous rates (kh, ka) of the nl <= RW cells c0.. of in */
static void cells_het(const ChemMech *m, const SpeciesTable *t, int nl, const ChemCells *in, int c0, double *M,
                      double *kh, double *ka)
{
    const double *T = in->T + c0, *P = in->p + c0;
    double pm[RW], so4[RW], no3[RW], o3[RW];
    const double *pmc[CHEM_MAX_PM];
    double pmm[CHEM_MAX_PM];
    for (int q = 0; q < m->npm; q++)
        pmc[q] = in->c + (size_t)m->pm_idx[q] * in->ldc + c0, pmm[q] = t->s[m->pm_idx[q]].molar_mass_kg_mol;
    cells_gather(nl, T, P, m->npm, pmc, pmm, m->i_pso4 >= 0 ? in->c + (size_t)m->i_pso4 * in->ldc + c0 : zeros,
                 m->i_pso4 >= 0 ? t->s[m->i_pso4].molar_mass_kg_mol : 0.0,
                 m->i_pno3 >= 0 ? in->c + (size_t)m->i_pno3 * in->ldc + c0 : zeros,
                 m->i_pno3 >= 0 ? t->s[m->i_pno3].molar_mass_kg_mol : 0.0,
                 m->i_o3 >= 0 ? in->c + (size_t)m->i_o3 * in->ldc + c0 : zeros, M, pm, so4, no3, o3);
    het_cells(nl, T, P, in->rh + c0, in->lwc + c0, pm, so4, no3, o3, kh, ka);
}

/* ldk = 0: k[i * NR + r]; else k[r * ldk + i] */
static void cells_rates(const ChemMech *m, const SpeciesTable *t, int n, const ChemCells *in, double *k,
                        size_t ldk)
{
    for (int c0 = 0; c0 < n; c0 += RW) {
        const int nl = n - c0 < RW ? n - c0 : RW;
        const double *T = in->T + c0, *P = in->p + c0;
        double M[RW], kh[RW], ka[RW], kl[NR * RW];
        cells_het(m, t, nl, in, c0, M, kh, ka);
        const int lit = lanes_lit(nl, in->jno2 + c0, in->oh + c0);
        if (ldk) { /* straight into the caller's rows: no transpose */
            rates_lanes(T, M, P, in->jno2 + c0, in->jno3_no2 + c0, in->jno3_no + c0, in->oh + c0, kh, ka, nl,
                        k + c0, ldk, lit);
            continue;
        }
        rates_lanes(T, M, P, in->jno2 + c0, in->jno3_no2 + c0, in->jno3_no + c0, in->oh + c0, kh, ka, nl, kl, RW, lit);
        for (int l = 0; l < nl; l++)
            for (int r = 0; r < NR; r++) k[(size_t)(c0 + l) * NR + r] = kl[r * RW + l];
    }
}

void chem_cells_rates(const ChemMech *m, const SpeciesTable *t, int n, const ChemCells *in, double *k)
{
    cells_rates(m, t, n, in, k, 0);
}

void chem_cells_rates_lm(const ChemMech *m, const SpeciesTable *t, int n, const ChemCells *in, double *k,
                         size_t ldk)
{
    cells_rates(m, t, n, in, k, ldk);
}

int chem_reaction_needs_conc(int r) { return r == K_H1 || r == K_A1; }

void chem_cells_het_lm(const ChemMech *m, const SpeciesTable *t, int n, const ChemCells *in, double *k, size_t ldk)
{
    for (int c0 = 0; c0 < n; c0 += RW) {
        const int nl = n - c0 < RW ? n - c0 : RW;
        double M[RW], kh[RW], ka[RW];
        cells_het(m, t, nl, in, c0, M, kh, ka);
        /* rates_lanes stores them as they are */
        memcpy(k + K_H1 * ldk + c0, kh, (size_t)nl * sizeof *k);
        memcpy(k + K_A1 * ldk + c0, ka, (size_t)nl * sizeof *k);
    }
}

/* ---- rate law, RP steady state, Jacobian ----------------------------------------------------
 * RP obeys d RP/dt = C + B RP + A RP^2 with A, B <= 0 <= C from the reactions' net RP yields;
 * its steady state is the non-negative root RP = 2C / (-B + sqrt(B^2 - 4AC)) (the stable form of
 * DESIGN 4.2's quadratic), and dRP/dc_j = -(dC_j + dB_j RP) / (B + 2A RP) (A is constant). */

static double rp_solve(const ChemMech *m, const double *k, const double *c, double *A, double *B)
{
    double coef[3] = {0, 0, 0};
    for (int i = 0; i < m->nrp; i++) {
        int r = m->rp_r[i];
        double x = m->rp_nu[i] * k[r];
        for (int a = 0; a < 2; a++) {
            int sl = m->slot[r][a];
            if (sl < NS) x *= c[sl];
        }
        coef[m->rp_q[i]] += x;
    }
    *A = coef[2];
    *B = coef[1];
    double C = coef[0];
    if (!(C > 0)) return 0.0;
    double den = -coef[1] + sqrt(coef[1] * coef[1] - 4.0 * coef[2] * C);
    return den > 0 ? 2.0 * C / den : 0.0;
}

double chem_rp(const ChemMech *m, const double *k, const double *c)
{
    double A, B;
    return rp_solve(m, k, c, &A, &B);
}

/* the concentrations extended by the slots CHEM_ONE (= 1) and CHEM_RPSLOT (= RP) */
static double extend(const ChemMech *m, const double *k, const double *c, double *ce, double *A,
                     double *B)
{
    memcpy(ce, c, NS * sizeof *c);
    ce[CHEM_ONE] = 1.0;
    double rp = rp_solve(m, k, c, A, B);
    ce[CHEM_RPSLOT] = rp;
    return rp;
}

void chem_rhs(const ChemMech *m, const double *k, const double *c, double *dcdt)
{
    double ce[NS + 2], rate[CHEM_MAX_REACTIONS], A, B;
    extend(m, k, c, ce, &A, &B);
    for (int r = 0; r < NR; r++) rate[r] = k[r] * ce[m->slot[r][0]] * ce[m->slot[r][1]];
    for (int i = 0; i < NS; i++) dcdt[i] = 0.0;
    for (int t = 0; t < m->nrt; t++) dcdt[m->rt_s[t]] += m->rt_c[t] * rate[m->rt_r[t]];
}

void chem_jacobian(const ChemMech *m, const double *k, const double *c, double *jac)
{
    double ce[NS + 2], A, B;
    double rp = extend(m, k, c, ce, &A, &B);
    /* dRP/dc_j = -(dC/dc_j + dB/dc_j RP) / (B + 2 A RP) on RP's dependencies; d[CHEM_ONE] = 1 */
    double d[NS + 2] = {0};
    d[CHEM_ONE] = 1.0;
    double den = B + 2.0 * A * rp;
    if (den < 0.0)
        for (int i = 0; i < m->nrp; i++) {
            int r = m->rp_r[i], q = m->rp_q[i];
            if (q == 2) continue;
            double f = m->rp_nu[i] * k[r] * (q == 1 ? rp : 1.0);
            for (int a = 0; a < 2; a++) {
                int sl = m->slot[r][a], other = m->slot[r][1 - a];
                if (sl >= NS) continue;
                d[sl] -= f * (other < NS ? c[other] : 1.0) / den;
            }
        }
    memset(jac, 0, NS * NS * sizeof *jac);
    for (int t = 0; t < m->njt; t++)
        jac[m->jt_pos[t]] += m->jt_c[t] * k[m->jt_r[t]] * ce[m->jt_m[t]] * d[m->jt_d[t]];
}

/* ---- integration --------------------------------------------------------------------------
 * Cells run through ros3_integrate_w, ROS_W at a time in lanes (rosenbrock.h), each lane with its
 * own step control: a cell's result is bitwise the same whichever lane and neighbours it had.
 * chem_integrate is the one-cell case of chem_integrate_cells. */

#define W ROS_W
#define LANES for (int l = 0; l < W; l++)

struct ChemWork {
    RosWork *ros;
    const ChemMech *m;
    double k[NR], y1[NS], src1[NS]; /* chem_integrate's one cell */
    double y0[NS];                   /* a retried cell's initial values */
    double kl[NR * W];               /* rate constants of the cell in each lane */
    double srcl[NS * W];             /* its sources */
    double one[W];
    int lane_cell[W];                /* the cell each lane holds */
    double rp[W], rpB[W], rpA[W];    /* RP and its quadratic's B, A at rp_y (rhs_w for jac_w) */
    const double *rp_y;
    /* the cells being integrated */
    double *y;
    const double *kc, *src;
    size_t ldk; /* 0: kc[c * NR + r]; else kc[r * ldk + c] (chem_integrate_cells_lm) */
    size_t ldy; /* 0: y[c * NS + s]; else y[s * ldy + c] (chem_integrate_cells_qm) */
    int unfused; /* chem_work_fused(w, 0): the separate kernels instead of attempt_fixed */
    int *status;
    int pos, end;
    double *hc;  /* the cells' carried step sizes (NULL: none) */
    RosStats rs;
};

/* The lane kernels, specialised to the mechanism above: straight-line code with the operations
 * of chem_rhs, chem_jacobian (RP steady state included) and ros_lu_decomp / ros_lu_solve on the
 * symbolic LU of the mechanism's Jacobian pattern, in the same order, so that they give the same
 * bits (test_chem checks the lane solver against ros3_integrate with chem_rhs and chem_jacobian,
 * bit for bit).  Species cN are in mechanism order (CH_*), k[r] in chem_reactions order, matrix
 * positions i * CH_NSPEC + j.  They were printed from chem_mech_init's flat lists and
 * ros_work_create's operation lists (docs/chemistry.md, "The lane solver"); chem_mech_init
 * refuses a mechanism table whose lists no longer have their sizes (CHEM_FIXED_*). */

/* (LANE_KERNEL: see the top of the file) */

/* The elimination of G = diag(gh) - J in place, pivots i0..i6 (rows 7-9 reuse i0), for lu_fixed and
 * the fused attempt_fixed alike: one text, so both make the same operations in the same order. */
#define LU_ELIM \
    const double i0 = 1.0 / g0; \
    g20 *= i0; \
    g30 *= i0; \
    const double i1 = 1.0 / g11; \
    const double i2 = 1.0 / g22; \
    g32 *= i2; \
    g33 -= g32 * g23; \
    g34 -= g32 * g24; \
    g35 -= g32 * g25; \
    g42 *= i2; \
    g43 -= g42 * g23; \
    g44 -= g42 * g24; \
    g45 -= g42 * g25; \
    g52 *= i2; \
    g53 -= g52 * g23; \
    g54 -= g52 * g24; \
    g55 -= g52 * g25; \
    const double i3 = 1.0 / g33; \
    g43 *= i3; \
    g44 -= g43 * g34; \
    g45 -= g43 * g35; \
    g46 -= g43 * g36; \
    g53 *= i3; \
    g54 -= g53 * g34; \
    g55 -= g53 * g35; \
    g56 -= g53 * g36; \
    g63 *= i3; \
    g64 -= g63 * g34; \
    g65 -= g63 * g35; \
    g66 -= g63 * g36; \
    const double i4 = 1.0 / g44; \
    g54 *= i4; \
    g55 -= g54 * g45; \
    g56 -= g54 * g46; \
    g64 *= i4; \
    g65 -= g64 * g45; \
    g66 -= g64 * g46; \
    const double i5 = 1.0 / g55; \
    g65 *= i5; \
    g66 -= g65 * g56; \
    const double i6 = 1.0 / g66;


/* The steady-state RP of every lane with the quadratic's B and A (rp_solve). */
LANE_KERNEL static void rp_lanes(const double *restrict k, const double *restrict y,
                                 double *restrict rp, double *restrict B, double *restrict A)
{
    double C[W], disc[W];
#pragma omp simd
    for (int l = 0; l < W; l++) {
        const double c0 = y[0 * W + l], c2 = y[2 * W + l], c3 = y[3 * W + l];
        double q0 = 0.0, q1 = 0.0, q2 = 0.0;
        q0 += 1.0 * k[0 * W + l] * c0;
        q1 += -1.0 * k[1 * W + l] * c2;
        q2 += -1.0 * k[4 * W + l];
        q1 += -1.0 * k[5 * W + l] * c3;
        q1 += -1.0 * k[6 * W + l] * c3;
        C[l] = q0;
        B[l] = q1;
        A[l] = q2;
        disc[l] = q1 * q1 - 4.0 * q2 * q0;
    }
#pragma omp simd
    for (int l = 0; l < W; l++) {
        const double den = -B[l] + sqrt(disc[l]);
        /* selects between computed values only, so that the loop if-converts */
        const double v = 2.0 * C[l] / (den > 0 ? den : 1.0);
        rp[l] = ((C[l] > 0) & (den > 0)) ? v : 0.0;
    }
}

LANE_KERNEL static void rhs_fixed(const double *restrict k, const double *restrict y, const double *restrict rpl,
                      const double *restrict src, double *restrict f)
{
#pragma omp simd
    for (int l = 0; l < W; l++) {
        const double c1 = y[1 * W + l], c2 = y[2 * W + l], c3 = y[3 * W + l], c4 = y[4 * W + l], c5 = y[5 * W + l], c6 = y[6 * W + l];
        const double rp = rpl[l];
        const double r1 = k[1 * W + l] * rp * c2;
        const double r2 = k[2 * W + l] * c3 * 1.0;
        const double r3 = k[3 * W + l] * c2 * c4;
        const double r5 = k[5 * W + l] * rp * c3;
        const double r6 = k[6 * W + l] * rp * c3;
        const double r7 = k[7 * W + l] * c3 * c4;
        const double r8 = k[8 * W + l] * c5 * c2;
        const double r9 = k[9 * W + l] * c5 * 1.0;
        const double r10 = k[10 * W + l] * c5 * 1.0;
        const double r11 = k[11 * W + l] * c3 * c5;
        const double r12 = k[12 * W + l] * c6 * 1.0;
        const double r13 = k[13 * W + l] * c6 * 1.0;
        const double r14 = k[14 * W + l] * c3 * 1.0;
        const double r15 = k[15 * W + l] * c1 * 1.0;
        const double r16 = k[16 * W + l] * c1 * 1.0;
        f[0 * W + l] = 0.0 + src[0 * W + l];
        f[1 * W + l] = 0.0 - 1.0 * r15 - 1.0 * r16 + src[1 * W + l];
        f[2 * W + l] = 0.0 - 1.0 * r1 + 1.0 * r2 - 1.0 * r3 - 1.0 * r8 + 1.0 * r10 + src[2 * W + l];
        f[3 * W + l] = 0.0 + 1.0 * r1 - 1.0 * r2 + 1.0 * r3 - 1.0 * r5 - 1.0 * r6 - 1.0 * r7 + 2.0 * r8 + 1.0 * r9 - 1.0 * r11 + 1.0 * r12 - 1.0 * r14 + src[3 * W + l];
        f[4 * W + l] = 0.0 + 1.0 * r2 - 1.0 * r3 - 1.0 * r7 + 1.0 * r9 + src[4 * W + l];
        f[5 * W + l] = 0.0 + 1.0 * r7 - 1.0 * r8 - 1.0 * r9 - 1.0 * r10 - 1.0 * r11 + 1.0 * r12 + src[5 * W + l];
        f[6 * W + l] = 0.0 + 1.0 * r11 - 1.0 * r12 - 1.0 * r13 + src[6 * W + l];
        f[7 * W + l] = 0.0 + 1.0 * r5 + 2.0 * r13 + 1.0 * r14 + src[7 * W + l];
        f[8 * W + l] = 0.0 + 1.0 * r15 + 1.0 * r16 + src[8 * W + l];
        f[9 * W + l] = 0.0 + 1.0 * r6 + src[9 * W + l];
    }
}

LANE_KERNEL static void jac_fixed(const double *restrict k, const double *restrict y, const double *restrict rpl,
                      const double *restrict Bl, const double *restrict Al, double *restrict jac)
{
#pragma omp simd
    for (int l = 0; l < W; l++) {
        const double c2 = y[2 * W + l], c3 = y[3 * W + l], c4 = y[4 * W + l], c5 = y[5 * W + l];
        const double rp = rpl[l], q1 = Bl[l], q2 = Al[l];
        const double den = q1 + 2.0 * q2 * rp;
        /* the scalar code updates dRP/dc only when den < 0; d +- 0.0 = d (d is never -0) */
        const double den_s = den < 0.0 ? den : -1.0;
        double d0 = 0.0;
        double d2 = 0.0;
        double d3 = 0.0;
        const double t1 = 1.0 * k[0 * W + l] * 1.0 * 1.0 / den_s;
        d0 = d0 - (den < 0.0 ? t1 : 0.0);
        const double t2 = 1.0 * k[1 * W + l] * rp * 1.0 / den_s;
        d2 = d2 + (den < 0.0 ? t2 : 0.0);
        const double t3 = 1.0 * k[5 * W + l] * rp * 1.0 / den_s;
        d3 = d3 + (den < 0.0 ? t3 : 0.0);
        const double t4 = 1.0 * k[6 * W + l] * rp * 1.0 / den_s;
        d3 = d3 + (den < 0.0 ? t4 : 0.0);
        jac[11 * W + l] = 0.0 - 1.0 * k[15 * W + l] * 1.0 * 1.0 - 1.0 * k[16 * W + l] * 1.0 * 1.0;
        jac[20 * W + l] = 0.0 - 1.0 * k[1 * W + l] * c2 * d0;
        jac[22 * W + l] = 0.0 - 1.0 * k[1 * W + l] * c2 * d2 - 1.0 * k[1 * W + l] * rp * 1.0 - 1.0 * k[3 * W + l] * c4 * 1.0 - 1.0 * k[8 * W + l] * c5 * 1.0;
        jac[23 * W + l] = 0.0 - 1.0 * k[1 * W + l] * c2 * d3 + 1.0 * k[2 * W + l] * 1.0 * 1.0;
        jac[24 * W + l] = 0.0 - 1.0 * k[3 * W + l] * c2 * 1.0;
        jac[25 * W + l] = 0.0 - 1.0 * k[8 * W + l] * c2 * 1.0 + 1.0 * k[10 * W + l] * 1.0 * 1.0;
        jac[30 * W + l] = 0.0 + 1.0 * k[1 * W + l] * c2 * d0 - 1.0 * k[5 * W + l] * c3 * d0 - 1.0 * k[6 * W + l] * c3 * d0;
        jac[32 * W + l] = 0.0 + 1.0 * k[1 * W + l] * c2 * d2 + 1.0 * k[1 * W + l] * rp * 1.0 + 1.0 * k[3 * W + l] * c4 * 1.0 - 1.0 * k[5 * W + l] * c3 * d2 - 1.0 * k[6 * W + l] * c3 * d2 + 2.0 * k[8 * W + l] * c5 * 1.0;
        jac[33 * W + l] = 0.0 + 1.0 * k[1 * W + l] * c2 * d3 - 1.0 * k[2 * W + l] * 1.0 * 1.0 - 1.0 * k[5 * W + l] * c3 * d3 - 1.0 * k[5 * W + l] * rp * 1.0 - 1.0 * k[6 * W + l] * c3 * d3 - 1.0 * k[6 * W + l] * rp * 1.0 - 1.0 * k[7 * W + l] * c4 * 1.0 - 1.0 * k[11 * W + l] * c5 * 1.0 - 1.0 * k[14 * W + l] * 1.0 * 1.0;
        jac[34 * W + l] = 0.0 + 1.0 * k[3 * W + l] * c2 * 1.0 - 1.0 * k[7 * W + l] * c3 * 1.0;
        jac[35 * W + l] = 0.0 + 2.0 * k[8 * W + l] * c2 * 1.0 + 1.0 * k[9 * W + l] * 1.0 * 1.0 - 1.0 * k[11 * W + l] * c3 * 1.0;
        jac[36 * W + l] = 0.0 + 1.0 * k[12 * W + l] * 1.0 * 1.0;
        jac[42 * W + l] = 0.0 - 1.0 * k[3 * W + l] * c4 * 1.0;
        jac[43 * W + l] = 0.0 + 1.0 * k[2 * W + l] * 1.0 * 1.0 - 1.0 * k[7 * W + l] * c4 * 1.0;
        jac[44 * W + l] = 0.0 - 1.0 * k[3 * W + l] * c2 * 1.0 - 1.0 * k[7 * W + l] * c3 * 1.0;
        jac[45 * W + l] = 0.0 + 1.0 * k[9 * W + l] * 1.0 * 1.0;
        jac[52 * W + l] = 0.0 - 1.0 * k[8 * W + l] * c5 * 1.0;
        jac[53 * W + l] = 0.0 + 1.0 * k[7 * W + l] * c4 * 1.0 - 1.0 * k[11 * W + l] * c5 * 1.0;
        jac[54 * W + l] = 0.0 + 1.0 * k[7 * W + l] * c3 * 1.0;
        jac[55 * W + l] = 0.0 - 1.0 * k[8 * W + l] * c2 * 1.0 - 1.0 * k[9 * W + l] * 1.0 * 1.0 - 1.0 * k[10 * W + l] * 1.0 * 1.0 - 1.0 * k[11 * W + l] * c3 * 1.0;
        jac[56 * W + l] = 0.0 + 1.0 * k[12 * W + l] * 1.0 * 1.0;
        jac[63 * W + l] = 0.0 + 1.0 * k[11 * W + l] * c5 * 1.0;
        jac[65 * W + l] = 0.0 + 1.0 * k[11 * W + l] * c3 * 1.0;
        jac[66 * W + l] = 0.0 - 1.0 * k[12 * W + l] * 1.0 * 1.0 - 1.0 * k[13 * W + l] * 1.0 * 1.0;
        jac[70 * W + l] = 0.0 + 1.0 * k[5 * W + l] * c3 * d0;
        jac[72 * W + l] = 0.0 + 1.0 * k[5 * W + l] * c3 * d2;
        jac[73 * W + l] = 0.0 + 1.0 * k[5 * W + l] * c3 * d3 + 1.0 * k[5 * W + l] * rp * 1.0 + 1.0 * k[14 * W + l] * 1.0 * 1.0;
        jac[76 * W + l] = 0.0 + 2.0 * k[13 * W + l] * 1.0 * 1.0;
        jac[81 * W + l] = 0.0 + 1.0 * k[15 * W + l] * 1.0 * 1.0 + 1.0 * k[16 * W + l] * 1.0 * 1.0;
        jac[90 * W + l] = 0.0 + 1.0 * k[6 * W + l] * c3 * d0;
        jac[92 * W + l] = 0.0 + 1.0 * k[6 * W + l] * c3 * d2;
        jac[93 * W + l] = 0.0 + 1.0 * k[6 * W + l] * c3 * d3 + 1.0 * k[6 * W + l] * rp * 1.0;
        jac[0 * W + l] = 0.0; /* fill-in or empty diagonal of the LU structure */
        jac[46 * W + l] = 0.0; /* fill-in or empty diagonal of the LU structure */
        jac[64 * W + l] = 0.0; /* fill-in or empty diagonal of the LU structure */
        jac[77 * W + l] = 0.0; /* fill-in or empty diagonal of the LU structure */
        jac[88 * W + l] = 0.0; /* fill-in or empty diagonal of the LU structure */
        jac[99 * W + l] = 0.0; /* fill-in or empty diagonal of the LU structure */
    }
}

/* bad[l]: a zero or non-finite pivot in lane l, from the pivots while they are in registers
 * (a separate pass over G's diagonal cost half as much as the factorisation) */
#define BADPIV(x) ((x == 0.0) | !(fabs(x) <= DBL_MAX))
LANE_KERNEL static void lu_fixed(const double *restrict J, const double *restrict gh, double *restrict g,
                     double *restrict dinv, int *restrict bad)
{
#pragma omp simd
    for (int l = 0; l < W; l++) {
        /* J's entries 0, 46, 64, 77, 88 and 99 are the zeros jac_fixed writes (an empty
         * diagonal or a fill-in): -(+0) + gh = gh exactly, and -(+0) = -0, so the pivots of
         * rows 0, 7, 8 and 9 are gh itself and one division serves all four (10 divisions per
         * lane were the bulk of the factorisation; the same bits as before). */
        const double ghl = gh[l];
        double g0 = ghl;
        double g11 = -J[11 * W + l] + gh[l];
        double g20 = -J[20 * W + l];
        double g22 = -J[22 * W + l] + gh[l];
        double g23 = -J[23 * W + l];
        double g24 = -J[24 * W + l];
        double g25 = -J[25 * W + l];
        double g30 = -J[30 * W + l];
        double g32 = -J[32 * W + l];
        double g33 = -J[33 * W + l] + gh[l];
        double g34 = -J[34 * W + l];
        double g35 = -J[35 * W + l];
        double g36 = -J[36 * W + l];
        double g42 = -J[42 * W + l];
        double g43 = -J[43 * W + l];
        double g44 = -J[44 * W + l] + gh[l];
        double g45 = -J[45 * W + l];
        double g46 = -0.0;
        double g52 = -J[52 * W + l];
        double g53 = -J[53 * W + l];
        double g54 = -J[54 * W + l];
        double g55 = -J[55 * W + l] + gh[l];
        double g56 = -J[56 * W + l];
        double g63 = -J[63 * W + l];
        double g64 = -0.0;
        double g65 = -J[65 * W + l];
        double g66 = -J[66 * W + l] + gh[l];
        double g70 = -J[70 * W + l];
        double g72 = -J[72 * W + l];
        double g73 = -J[73 * W + l];
        double g76 = -J[76 * W + l];
        double g77 = ghl;
        double g81 = -J[81 * W + l];
        double g88 = ghl;
        double g90 = -J[90 * W + l];
        double g92 = -J[92 * W + l];
        double g93 = -J[93 * W + l];
        double g99 = ghl;
        LU_ELIM
        const double i7 = i0;
        const double i8 = i0;
        const double i9 = i0;
        g[0 * W + l] = g0;
        g[11 * W + l] = g11;
        g[20 * W + l] = g20;
        g[22 * W + l] = g22;
        g[23 * W + l] = g23;
        g[24 * W + l] = g24;
        g[25 * W + l] = g25;
        g[30 * W + l] = g30;
        g[32 * W + l] = g32;
        g[33 * W + l] = g33;
        g[34 * W + l] = g34;
        g[35 * W + l] = g35;
        g[36 * W + l] = g36;
        g[42 * W + l] = g42;
        g[43 * W + l] = g43;
        g[44 * W + l] = g44;
        g[45 * W + l] = g45;
        g[46 * W + l] = g46;
        g[52 * W + l] = g52;
        g[53 * W + l] = g53;
        g[54 * W + l] = g54;
        g[55 * W + l] = g55;
        g[56 * W + l] = g56;
        g[63 * W + l] = g63;
        g[64 * W + l] = g64;
        g[65 * W + l] = g65;
        g[66 * W + l] = g66;
        g[70 * W + l] = g70;
        g[72 * W + l] = g72;
        g[73 * W + l] = g73;
        g[76 * W + l] = g76;
        g[77 * W + l] = g77;
        g[81 * W + l] = g81;
        g[88 * W + l] = g88;
        g[90 * W + l] = g90;
        g[92 * W + l] = g92;
        g[93 * W + l] = g93;
        g[99 * W + l] = g99;
        dinv[0 * W + l] = i0;
        dinv[1 * W + l] = i1;
        dinv[2 * W + l] = i2;
        dinv[3 * W + l] = i3;
        dinv[4 * W + l] = i4;
        dinv[5 * W + l] = i5;
        dinv[6 * W + l] = i6;
        dinv[7 * W + l] = i7;
        dinv[8 * W + l] = i8;
        dinv[9 * W + l] = i9;
        bad[l] = BADPIV(g0) | BADPIV(g11) | BADPIV(g22) | BADPIV(g33) | BADPIV(g44) | BADPIV(g55) |
                 BADPIV(g66); /* g77 = g88 = g99 = g0 */
    }
}
#undef BADPIV

/* The solves with the stage sums of their right-hand sides fused in (RosLaneOps.stage):
 * b = f [+ ca ka [+ cb kb]] summed in that order, as the driver's own loops formed it, x = G^-1 b,
 * and after the first stage ynew = y + x (ROS_A21 = 1).  One pass over the lane rows where the
 * driver made three (sum, solve, ynew), with the same operations in the same order: the same
 * bits.  The three stages are three functions from one body, so that each has straight-line
 * code without the terms it does not use. */
#define SOLVE_B(i, KA, KB)                                                                             \
    double b##i = f[i * W + l];                                                                    \
    if (KA) b##i = b##i + ca[l] * ka[i * W + l];                                                   \
    if (KB) b##i = b##i + cb[l] * kb[i * W + l];
#define SOLVE_BODY(KA, KB, YN)                                                                     \
    _Pragma("omp simd") for (int l = 0; l < W; l++)                                                \
    {                                                                                              \
        SOLVE_B(0, KA, KB) SOLVE_B(1, KA, KB) SOLVE_B(2, KA, KB) SOLVE_B(3, KA, KB)                \
        SOLVE_B(4, KA, KB) SOLVE_B(5, KA, KB) SOLVE_B(6, KA, KB) SOLVE_B(7, KA, KB)                \
        SOLVE_B(8, KA, KB) SOLVE_B(9, KA, KB)                                                      \
        SOLVE_CORE                                                                                 \
        SOLVE_STORE                                                                                \
        if (YN) {                                                                                  \
            ynew[0 * W + l] = y[0 * W + l] + b0;                                                   \
            ynew[1 * W + l] = y[1 * W + l] + b1;                                                   \
            ynew[2 * W + l] = y[2 * W + l] + b2;                                                   \
            ynew[3 * W + l] = y[3 * W + l] + b3;                                                   \
            ynew[4 * W + l] = y[4 * W + l] + b4;                                                   \
            ynew[5 * W + l] = y[5 * W + l] + b5;                                                   \
            ynew[6 * W + l] = y[6 * W + l] + b6;                                                   \
            ynew[7 * W + l] = y[7 * W + l] + b7;                                                   \
            ynew[8 * W + l] = y[8 * W + l] + b8;                                                   \
            ynew[9 * W + l] = y[9 * W + l] + b9;                                                   \
        }                                                                                          \
    }

#define SOLVE_CORE \
        b2 -= g[20 * W + l] * b0; \
        b3 -= g[30 * W + l] * b0; \
        b3 -= g[32 * W + l] * b2; \
        b4 -= g[42 * W + l] * b2; \
        b5 -= g[52 * W + l] * b2; \
        b4 -= g[43 * W + l] * b3; \
        b5 -= g[53 * W + l] * b3; \
        b6 -= g[63 * W + l] * b3; \
        b5 -= g[54 * W + l] * b4; \
        b6 -= g[64 * W + l] * b4; \
        b6 -= g[65 * W + l] * b5; \
        b6 = (b6) * dinv[6 * W + l]; \
        b5 = (b5 - g[56 * W + l] * b6) * dinv[5 * W + l]; \
        b4 = (b4 - g[45 * W + l] * b5 - g[46 * W + l] * b6) * dinv[4 * W + l]; \
        b3 = (b3 - g[34 * W + l] * b4 - g[35 * W + l] * b5 - g[36 * W + l] * b6) * dinv[3 * W + l]; \
        b2 = (b2 - g[23 * W + l] * b3 - g[24 * W + l] * b4 - g[25 * W + l] * b5) * dinv[2 * W + l]; \
        b1 = (b1) * dinv[1 * W + l]; \
        b0 = (b0) * dinv[0 * W + l]; \
        b7 = (b7 - g[70 * W + l] * b0 - g[72 * W + l] * b2 - g[73 * W + l] * b3 - g[76 * W + l] * b6) * dinv[7 * W + l]; \
        b8 = (b8 - g[81 * W + l] * b1) * dinv[8 * W + l]; \
        b9 = (b9 - g[90 * W + l] * b0 - g[92 * W + l] * b2 - g[93 * W + l] * b3) * dinv[9 * W + l];

#define SOLVE_STORE \
        x[0 * W + l] = b0; x[1 * W + l] = b1; x[2 * W + l] = b2; x[3 * W + l] = b3; x[4 * W + l] = b4; \
        x[5 * W + l] = b5; x[6 * W + l] = b6; x[7 * W + l] = b7; x[8 * W + l] = b8; x[9 * W + l] = b9;

/* stage 1: x = G^-1 f, ynew = y + x */
LANE_KERNEL static void solve_s1(const double *restrict g, const double *restrict dinv, const double *restrict f,
                                 double *restrict x, const double *restrict y, double *restrict ynew)
{
    const double *ka = NULL, *kb = NULL, *ca = NULL, *cb = NULL;
    SOLVE_BODY(0, 0, 1)
}

/* stage 2: x = G^-1 (f + ca ka) */
LANE_KERNEL static void solve_s2(const double *restrict g, const double *restrict dinv, const double *restrict f,
                                 const double *restrict ka, const double *restrict ca, double *restrict x)
{
    const double *kb = NULL, *cb = NULL, *y = NULL;
    double *ynew = NULL;
    SOLVE_BODY(1, 0, 0)
}

/* stage 3: x = G^-1 (f + ca ka + cb kb) */
LANE_KERNEL static void solve_s3(const double *restrict g, const double *restrict dinv, const double *restrict f,
                                 const double *restrict ka, const double *restrict ca, const double *restrict kb,
                                 const double *restrict cb, double *restrict x)
{
    const double *y = NULL;
    double *ynew = NULL;
    SOLVE_BODY(1, 1, 0)
}

/* the plain solve (x = G^-1 x), for the generic RosSolveW */
LANE_KERNEL static void solve_fixed(const double *restrict g, const double *restrict dinv, double *restrict x)
{
#pragma omp simd
    for (int l = 0; l < W; l++) {
        double b0 = x[0 * W + l], b1 = x[1 * W + l], b2 = x[2 * W + l], b3 = x[3 * W + l], b4 = x[4 * W + l], b5 = x[5 * W + l], b6 = x[6 * W + l], b7 = x[7 * W + l], b8 = x[8 * W + l], b9 = x[9 * W + l];
        SOLVE_CORE
        x[0 * W + l] = b0; x[1 * W + l] = b1; x[2 * W + l] = b2; x[3 * W + l] = b3; x[4 * W + l] = b4;
        x[5 * W + l] = b5; x[6 * W + l] = b6; x[7 * W + l] = b7; x[8 * W + l] = b8; x[9 * W + l] = b9;
    }
}

/* ---- the fused attempt (RosLaneOps.attempt, round 6) ---------------------------------------
 * One whole ROS3 attempt for ROS_W lanes in one call: RP steady state, f(y), J(y), the LU of
 * G = diag(gh) - J, the three stages and the error norm, the statements of rp_lanes, rhs_fixed,
 * jac_fixed, lu_fixed, solve_s1..3 and the driver's norm pass in the same order on per-lane
 * scalars, so the bits are those of the separate kernels (test_lanes_vs_scalar).  The values
 * live in registers (or the loop's spill slots) instead of the lane rows that ~15 kernel calls
 * each loaded and stored.  One lane loop (round 9): chem.c is compiled with -fno-math-errno
 * (Makefile), so the two RP square roots are vsqrtpd inside it (correctly rounded, NaN for a
 * negative argument); until then the sqrt calls split it into three loops, and
 * y + K1, K1, the 28 off-diagonal LU entries and 7 reciprocal pivots passed between them
 * through a 4-KB block on the stack (one loop: 0.92 x the solver's time, docs/chemistry.md). */

/* the coefficients C, B, A of RP's quadratic and its discriminant (rp_lanes) */
#define FX_RPCOEF(C0, C2, C3, QC, QB, QA, DISC)                                                    \
    {                                                                                              \
        double q0 = 0.0, q1 = 0.0, q2 = 0.0;                                                       \
        q0 += 1.0 * k[0 * W + l] * (C0);                                                           \
        q1 += -1.0 * k[1 * W + l] * (C2);                                                          \
        q2 += -1.0 * k[4 * W + l];                                                                 \
        q1 += -1.0 * k[5 * W + l] * (C3);                                                          \
        q1 += -1.0 * k[6 * W + l] * (C3);                                                          \
        QC = q0;                                                                                   \
        QB = q1;                                                                                   \
        QA = q2;                                                                                   \
        DISC = q1 * q1 - 4.0 * q2 * q0;                                                            \
    }
/* the steady-state RP from them (rp_lanes) */
#define FX_RP(RP, QC, QB, SQ)                                                                      \
    double RP;                                                                                     \
    {                                                                                              \
        const double den = -(QB) + (SQ);                                                           \
        const double v = 2.0 * (QC) / (den > 0 ? den : 1.0);                                       \
        RP = (((QC) > 0) & (den > 0)) ? v : 0.0;                                                   \
    }
/* f into F0..F9 (rhs_fixed) */
#define FX_RHS(F, C1, C2, C3, C4, C5, C6, RP)                                                      \
    double F##0, F##1, F##2, F##3, F##4, F##5, F##6, F##7, F##8, F##9;                             \
    {                                                                                              \
        const double r1 = k[1 * W + l] * RP * C2;                                                  \
        const double r2 = k[2 * W + l] * C3 * 1.0;                                                 \
        const double r3 = k[3 * W + l] * C2 * C4;                                                  \
        const double r5 = k[5 * W + l] * RP * C3;                                                  \
        const double r6 = k[6 * W + l] * RP * C3;                                                  \
        const double r7 = k[7 * W + l] * C3 * C4;                                                  \
        const double r8 = k[8 * W + l] * C5 * C2;                                                  \
        const double r9 = k[9 * W + l] * C5 * 1.0;                                                 \
        const double r10 = k[10 * W + l] * C5 * 1.0;                                               \
        const double r11 = k[11 * W + l] * C3 * C5;                                                \
        const double r12 = k[12 * W + l] * C6 * 1.0;                                               \
        const double r13 = k[13 * W + l] * C6 * 1.0;                                               \
        const double r14 = k[14 * W + l] * C3 * 1.0;                                               \
        const double r15 = k[15 * W + l] * C1 * 1.0;                                               \
        const double r16 = k[16 * W + l] * C1 * 1.0;                                               \
        F##0 = 0.0 + src[0 * W + l];                                                               \
        F##1 = 0.0 - 1.0 * r15 - 1.0 * r16 + src[1 * W + l];                                       \
        F##2 = 0.0 - 1.0 * r1 + 1.0 * r2 - 1.0 * r3 - 1.0 * r8 + 1.0 * r10 + src[2 * W + l];       \
        F##3 = 0.0 + 1.0 * r1 - 1.0 * r2 + 1.0 * r3 - 1.0 * r5 - 1.0 * r6 - 1.0 * r7 + 2.0 * r8 +  \
               1.0 * r9 - 1.0 * r11 + 1.0 * r12 - 1.0 * r14 + src[3 * W + l];                      \
        F##4 = 0.0 + 1.0 * r2 - 1.0 * r3 - 1.0 * r7 + 1.0 * r9 + src[4 * W + l];                   \
        F##5 = 0.0 + 1.0 * r7 - 1.0 * r8 - 1.0 * r9 - 1.0 * r10 - 1.0 * r11 + 1.0 * r12 +          \
               src[5 * W + l];                                                                     \
        F##6 = 0.0 + 1.0 * r11 - 1.0 * r12 - 1.0 * r13 + src[6 * W + l];                           \
        F##7 = 0.0 + 1.0 * r5 + 2.0 * r13 + 1.0 * r14 + src[7 * W + l];                            \
        F##8 = 0.0 + 1.0 * r15 + 1.0 * r16 + src[8 * W + l];                                       \
        F##9 = 0.0 + 1.0 * r6 + src[9 * W + l];                                                    \
    }
/* the forward and back substitution of SOLVE_CORE on scalars g.. (the LU) and i0..i6 (the
 * reciprocal pivots; rows 7, 8, 9 have i0: lu_fixed) */
#define FX_SOLVE(b)                                                                                \
    b##2 -= g20 * b##0;                                                                            \
    b##3 -= g30 * b##0;                                                                            \
    b##3 -= g32 * b##2;                                                                            \
    b##4 -= g42 * b##2;                                                                            \
    b##5 -= g52 * b##2;                                                                            \
    b##4 -= g43 * b##3;                                                                            \
    b##5 -= g53 * b##3;                                                                            \
    b##6 -= g63 * b##3;                                                                            \
    b##5 -= g54 * b##4;                                                                            \
    b##6 -= g64 * b##4;                                                                            \
    b##6 -= g65 * b##5;                                                                            \
    b##6 = (b##6) * i6;                                                                            \
    b##5 = (b##5 - g56 * b##6) * i5;                                                               \
    b##4 = (b##4 - g45 * b##5 - g46 * b##6) * i4;                                                  \
    b##3 = (b##3 - g34 * b##4 - g35 * b##5 - g36 * b##6) * i3;                                     \
    b##2 = (b##2 - g23 * b##3 - g24 * b##4 - g25 * b##5) * i2;                                     \
    b##1 = (b##1) * i1;                                                                            \
    b##0 = (b##0) * i0;                                                                            \
    b##7 = (b##7 - g70 * b##0 - g72 * b##2 - g73 * b##3 - g76 * b##6) * i0;                        \
    b##8 = (b##8 - g81 * b##1) * i0;                                                               \
    b##9 = (b##9 - g90 * b##0 - g92 * b##2 - g93 * b##3) * i0;
/* the norm_update of component i from y, K1, K2, K3 (the driver's norm pass): ynew, the
 * running norm pair and the negativity minimum of the lane */
#define FX_NORM(i, A1, A2, A3)                                                                     \
    {                                                                                              \
        const double yv = y[i * W + l];                                                            \
        const double yn = yv + ROS3_M1 * (A1) + ROS3_M2 * (A2) + ROS3_M3 * (A3);                   \
        const double err = ROS3_E1 * (A1) + ROS3_E2 * (A2) + ROS3_E3 * (A3);                       \
        const double ay = fabs(yv), ayn = fabs(yn);                                                \
        const double ymax = ay > ayn ? ay : ayn;                                                   \
        ynew[i * W + l] = yn;                                                                      \
        const double ae = fabs(err);                                                               \
        const double sc = atol + rtol * ymax;                                                      \
        const int take = ae * edl > enl * sc;                                                      \
        enl = take ? ae : enl;                                                                     \
        edl = take ? sc : edl;                                                                     \
        const double dn = yn < yv ? yn : 0.0;                                                      \
        mnl = dn < mnl ? dn : mnl;                                                                 \
    }
#define BADPIV(x) ((x == 0.0) | !(fabs(x) <= DBL_MAX))

LANE_KERNEL static void attempt_fixed(const double *restrict k, const double *restrict src,
                                      const double *restrict y, const double *restrict gh,
                                      const double *restrict c21, const double *restrict c31,
                                      const double *restrict c32, double atol, double rtol,
                                      double *restrict ynew, double *restrict J, double *restrict en,
                                      double *restrict ed, double *restrict mn, int *restrict bad)
{
    double badd[W];
#pragma omp simd
    for (int l = 0; l < W; l++) {
        double qcl, qbl, qal, discl;
        FX_RPCOEF(y[0 * W + l], y[2 * W + l], y[3 * W + l], qcl, qbl, qal, discl)
        const double q1 = qbl, q2 = qal;
        const double sql = sqrt(discl);
        const double c1 = y[1 * W + l], c2 = y[2 * W + l], c3 = y[3 * W + l], c4 = y[4 * W + l],
                     c5 = y[5 * W + l], c6 = y[6 * W + l];
        FX_RP(rp, qcl, q1, sql)
        FX_RHS(f, c1, c2, c3, c4, c5, c6, rp)
        /* J(y): jac_fixed */
        const double den = q1 + 2.0 * q2 * rp;
        const double den_s = den < 0.0 ? den : -1.0;
        double d0 = 0.0;
        double d2 = 0.0;
        double d3 = 0.0;
        const double t1 = 1.0 * k[0 * W + l] * 1.0 * 1.0 / den_s;
        d0 = d0 - (den < 0.0 ? t1 : 0.0);
        const double t2 = 1.0 * k[1 * W + l] * rp * 1.0 / den_s;
        d2 = d2 + (den < 0.0 ? t2 : 0.0);
        const double t3 = 1.0 * k[5 * W + l] * rp * 1.0 / den_s;
        d3 = d3 + (den < 0.0 ? t3 : 0.0);
        const double t4 = 1.0 * k[6 * W + l] * rp * 1.0 / den_s;
        d3 = d3 + (den < 0.0 ? t4 : 0.0);
        const double j11 = 0.0 - 1.0 * k[15 * W + l] * 1.0 * 1.0 - 1.0 * k[16 * W + l] * 1.0 * 1.0;
        const double j20 = 0.0 - 1.0 * k[1 * W + l] * c2 * d0;
        const double j22 = 0.0 - 1.0 * k[1 * W + l] * c2 * d2 - 1.0 * k[1 * W + l] * rp * 1.0 - 1.0 * k[3 * W + l] * c4 * 1.0 - 1.0 * k[8 * W + l] * c5 * 1.0;
        const double j23 = 0.0 - 1.0 * k[1 * W + l] * c2 * d3 + 1.0 * k[2 * W + l] * 1.0 * 1.0;
        const double j24 = 0.0 - 1.0 * k[3 * W + l] * c2 * 1.0;
        const double j25 = 0.0 - 1.0 * k[8 * W + l] * c2 * 1.0 + 1.0 * k[10 * W + l] * 1.0 * 1.0;
        const double j30 = 0.0 + 1.0 * k[1 * W + l] * c2 * d0 - 1.0 * k[5 * W + l] * c3 * d0 - 1.0 * k[6 * W + l] * c3 * d0;
        const double j32 = 0.0 + 1.0 * k[1 * W + l] * c2 * d2 + 1.0 * k[1 * W + l] * rp * 1.0 + 1.0 * k[3 * W + l] * c4 * 1.0 - 1.0 * k[5 * W + l] * c3 * d2 - 1.0 * k[6 * W + l] * c3 * d2 + 2.0 * k[8 * W + l] * c5 * 1.0;
        const double j33 = 0.0 + 1.0 * k[1 * W + l] * c2 * d3 - 1.0 * k[2 * W + l] * 1.0 * 1.0 - 1.0 * k[5 * W + l] * c3 * d3 - 1.0 * k[5 * W + l] * rp * 1.0 - 1.0 * k[6 * W + l] * c3 * d3 - 1.0 * k[6 * W + l] * rp * 1.0 - 1.0 * k[7 * W + l] * c4 * 1.0 - 1.0 * k[11 * W + l] * c5 * 1.0 - 1.0 * k[14 * W + l] * 1.0 * 1.0;
        const double j34 = 0.0 + 1.0 * k[3 * W + l] * c2 * 1.0 - 1.0 * k[7 * W + l] * c3 * 1.0;
        const double j35 = 0.0 + 2.0 * k[8 * W + l] * c2 * 1.0 + 1.0 * k[9 * W + l] * 1.0 * 1.0 - 1.0 * k[11 * W + l] * c3 * 1.0;
        const double j36 = 0.0 + 1.0 * k[12 * W + l] * 1.0 * 1.0;
        const double j42 = 0.0 - 1.0 * k[3 * W + l] * c4 * 1.0;
        const double j43 = 0.0 + 1.0 * k[2 * W + l] * 1.0 * 1.0 - 1.0 * k[7 * W + l] * c4 * 1.0;
        const double j44 = 0.0 - 1.0 * k[3 * W + l] * c2 * 1.0 - 1.0 * k[7 * W + l] * c3 * 1.0;
        const double j45 = 0.0 + 1.0 * k[9 * W + l] * 1.0 * 1.0;
        const double j52 = 0.0 - 1.0 * k[8 * W + l] * c5 * 1.0;
        const double j53 = 0.0 + 1.0 * k[7 * W + l] * c4 * 1.0 - 1.0 * k[11 * W + l] * c5 * 1.0;
        const double j54 = 0.0 + 1.0 * k[7 * W + l] * c3 * 1.0;
        const double j55 = 0.0 - 1.0 * k[8 * W + l] * c2 * 1.0 - 1.0 * k[9 * W + l] * 1.0 * 1.0 - 1.0 * k[10 * W + l] * 1.0 * 1.0 - 1.0 * k[11 * W + l] * c3 * 1.0;
        const double j56 = 0.0 + 1.0 * k[12 * W + l] * 1.0 * 1.0;
        const double j63 = 0.0 + 1.0 * k[11 * W + l] * c5 * 1.0;
        const double j65 = 0.0 + 1.0 * k[11 * W + l] * c3 * 1.0;
        const double j66 = 0.0 - 1.0 * k[12 * W + l] * 1.0 * 1.0 - 1.0 * k[13 * W + l] * 1.0 * 1.0;
        const double j70 = 0.0 + 1.0 * k[5 * W + l] * c3 * d0;
        const double j72 = 0.0 + 1.0 * k[5 * W + l] * c3 * d2;
        const double j73 = 0.0 + 1.0 * k[5 * W + l] * c3 * d3 + 1.0 * k[5 * W + l] * rp * 1.0 + 1.0 * k[14 * W + l] * 1.0 * 1.0;
        const double j76 = 0.0 + 2.0 * k[13 * W + l] * 1.0 * 1.0;
        const double j81 = 0.0 + 1.0 * k[15 * W + l] * 1.0 * 1.0 + 1.0 * k[16 * W + l] * 1.0 * 1.0;
        const double j90 = 0.0 + 1.0 * k[6 * W + l] * c3 * d0;
        const double j92 = 0.0 + 1.0 * k[6 * W + l] * c3 * d2;
        const double j93 = 0.0 + 1.0 * k[6 * W + l] * c3 * d3 + 1.0 * k[6 * W + l] * rp * 1.0;
        /* J's diagonal for the driver (a negative step's cut reads it); 0, 77, 88, 99 are the
         * empty diagonals jac_fixed writes as 0 */
        J[0 * W + l] = 0.0;
        J[11 * W + l] = j11;
        J[22 * W + l] = j22;
        J[33 * W + l] = j33;
        J[44 * W + l] = j44;
        J[55 * W + l] = j55;
        J[66 * W + l] = j66;
        J[77 * W + l] = 0.0;
        J[88 * W + l] = 0.0;
        J[99 * W + l] = 0.0;
        /* G = diag(gh) - J and its LU: lu_fixed (J's structural zeros give -(+0) + gh = gh on
         * the pivots of rows 0, 7, 8, 9 and -0 at the fill-ins 46, 64) */
        const double ghl = gh[l];
        const double g0 = ghl;
        const double g11 = -j11 + ghl;
        double g20 = -j20;
        const double g22 = -j22 + ghl;
        const double g23 = -j23;
        const double g24 = -j24;
        const double g25 = -j25;
        double g30 = -j30;
        double g32 = -j32;
        double g33 = -j33 + ghl;
        double g34 = -j34;
        double g35 = -j35;
        const double g36 = -j36;
        double g42 = -j42;
        double g43 = -j43;
        double g44 = -j44 + ghl;
        double g45 = -j45;
        double g46 = -0.0;
        double g52 = -j52;
        double g53 = -j53;
        double g54 = -j54;
        double g55 = -j55 + ghl;
        double g56 = -j56;
        double g63 = -j63;
        double g64 = -0.0;
        double g65 = -j65;
        double g66 = -j66 + ghl;
        const double g70 = -j70;
        const double g72 = -j72;
        const double g73 = -j73;
        const double g76 = -j76;
        const double g81 = -j81;
        const double g90 = -j90;
        const double g92 = -j92;
        const double g93 = -j93;
        LU_ELIM
        /* as a double: an int from a double compare kept the SSE2 clone from vectorising */
        badd[l] = (BADPIV(g0) | BADPIV(g11) | BADPIV(g22) | BADPIV(g33) | BADPIV(g44) | BADPIV(g55) |
                   BADPIV(g66)) ? 1.0 : 0.0; /* g77 = g88 = g99 = g0 */
        /* stage 1: K1 = G^-1 f(y), then y + K1 (solve_s1) and RP's quadratic there */
        FX_SOLVE(f)
        const double a0 = f0, a1 = f1, a2 = f2, a3 = f3, a4 = f4, a5 = f5, a6 = f6, a7 = f7, a8 = f8, a9 = f9;
        const double ye0 = y[0 * W + l] + f0;
        const double u1 = c1 + f1, u2 = c2 + f2, u3 = c3 + f3, u4 = c4 + f4, u5 = c5 + f5, u6 = c6 + f6;
        double qc2, qb2, qa_k1, disc2; /* A is the same at every y; only the Jacobian needs it */
        FX_RPCOEF(ye0, c2 + f2, c3 + f3, qc2, qb2, qa_k1, disc2)
        (void)qa_k1;
        const double sq2 = sqrt(disc2);
        FX_RP(rp2, qc2, qb2, sq2)
        FX_RHS(h, u1, u2, u3, u4, u5, u6, rp2) /* f(y + K1) into h0..h9 */
        /* stage 2: K2 = G^-1 (f + c21 K1) (solve_s2) */
        const double ca = c21[l];
        double b0 = h0 + ca * a0, b1 = h1 + ca * a1, b2 = h2 + ca * a2, b3 = h3 + ca * a3, b4 = h4 + ca * a4;
        double b5 = h5 + ca * a5, b6 = h6 + ca * a6, b7 = h7 + ca * a7, b8 = h8 + ca * a8, b9 = h9 + ca * a9;
        FX_SOLVE(b)
        /* stage 3: K3 = G^-1 (f + c31 K1 + c32 K2) (solve_s3) */
        const double cc = c31[l], cd = c32[l];
        double e0 = h0 + cc * a0, e1 = h1 + cc * a1, e2 = h2 + cc * a2, e3 = h3 + cc * a3, e4 = h4 + cc * a4;
        double e5 = h5 + cc * a5, e6 = h6 + cc * a6, e7 = h7 + cc * a7, e8 = h8 + cc * a8, e9 = h9 + cc * a9;
        e0 = e0 + cd * b0, e1 = e1 + cd * b1, e2 = e2 + cd * b2, e3 = e3 + cd * b3, e4 = e4 + cd * b4;
        e5 = e5 + cd * b5, e6 = e6 + cd * b6, e7 = e7 + cd * b7, e8 = e8 + cd * b8, e9 = e9 + cd * b9;
        FX_SOLVE(e)
        /* the norm, component by component in order */
        double enl = 0.0, edl = 1.0, mnl = 0.0;
        FX_NORM(0, a0, b0, e0)
        FX_NORM(1, a1, b1, e1)
        FX_NORM(2, a2, b2, e2)
        FX_NORM(3, a3, b3, e3)
        FX_NORM(4, a4, b4, e4)
        FX_NORM(5, a5, b5, e5)
        FX_NORM(6, a6, b6, e6)
        FX_NORM(7, a7, b7, e7)
        FX_NORM(8, a8, b8, e8)
        FX_NORM(9, a9, b9, e9)
        en[l] = enl;
        ed[l] = edl;
        mn[l] = mnl;
    }
    for (int l = 0; l < W; l++) bad[l] = badd[l] != 0.0;
}
#undef BADPIV
#undef FX_RPCOEF
#undef FX_RP
#undef FX_RHS
#undef FX_SOLVE
#undef FX_NORM

static void attempt_w(void *ctx, const double *y, const double *gh, const double *c21, const double *c31,
                      const double *c32, double atol, double rtol, double *ynew, double *J, double *en,
                      double *ed, double *mn, int *bad)
{
    const ChemWork *w = ctx;
    attempt_fixed(w->kl, w->srcl, y, gh, c21, c31, c32, atol, rtol, ynew, J, en, ed, mn, bad);
}

/* ros3_integrate_w asks for f(y) and then J(y) at the same y (the same array, unchanged in
 * between): the RP steady state of f(y) is kept for J(y) rather than solved twice. */
static void rhs_w(void *ctx, const double *y, double *f)
{
    ChemWork *w = ctx;
    rp_lanes(w->kl, y, w->rp, w->rpB, w->rpA);
    w->rp_y = y;
    rhs_fixed(w->kl, y, w->rp, w->srcl, f);
}

static void jac_w(void *ctx, const double *y, double *jac)
{
    ChemWork *w = ctx;
    if (w->rp_y != y) rp_lanes(w->kl, y, w->rp, w->rpB, w->rpA);
    w->rp_y = NULL;
    jac_fixed(w->kl, y, w->rp, w->rpB, w->rpA, jac);
}

static void lu_w(void *ctx, const double *J, const double *gh, double *G, double *dinv, int *bad)
{
    (void)ctx;
    lu_fixed(J, gh, G, dinv, bad);
}

static void solve_w(void *ctx, const double *G, const double *dinv, double *b)
{
    (void)ctx;
    solve_fixed(G, dinv, b);
}

static void stage_w(void *ctx, int stage, const double *G, const double *dinv, const double *f,
                    const double *k1, const double *c1, const double *k2, const double *c2, double *x,
                    const double *y, double *ynew)
{
    (void)ctx;
    if (stage == 1) solve_s1(G, dinv, f, x, y, ynew);
    else if (stage == 2) solve_s2(G, dinv, f, k1, c1, x);
    else solve_s3(G, dinv, f, k1, c1, k2, c2, x);
}

static int next_w(void *ctx, int lane, double *y)
{
    ChemWork *w = ctx;
    if (w->pos >= w->end) return 0;
    const int c = w->pos++;
    w->lane_cell[lane] = c;
    const double *restrict yc = w->y + (w->ldy ? 0 : (size_t)c * NS);
    double *restrict kl = w->kl + lane, *restrict sl = w->srcl + lane;
    /* written out (fixed counts): the loop exits were a mispredicted branch each per cell */
    if (w->ldy) { /* species-major (chem_integrate_cells_qm; the same branch for a whole call) */
        const double *restrict yq = w->y + c;
        const size_t ldy = w->ldy;
#pragma GCC unroll 16
        for (int s = 0; s < NS; s++) y[s * W] = yq[s * ldy];
    } else {
#pragma GCC unroll 16
        for (int s = 0; s < NS; s++) y[s * W] = yc[s];
    }
    const size_t ldk = w->ldk;
    if (ldk) { /* the rows of chem_cells_rates_lm (the same branch for a whole call) */
        const double *restrict kc = w->kc + c;
#pragma GCC unroll 20
        for (int r = 0; r < NR; r++) kl[r * W] = kc[r * ldk];
    } else {
        const double *restrict kc = w->kc + (size_t)c * NR;
#pragma GCC unroll 20
        for (int r = 0; r < NR; r++) kl[r * W] = kc[r];
    }
    /* without sources srcl keeps the zeros run_lanes wrote (nothing else writes it) */
    if (w->src) {
        const double *restrict sc = w->src + (size_t)c * NS;
        for (int s = 0; s < NS; s++) sl[s * W] = sc[s];
    }
    return 1;
}

/* RosLaneOps.h0: the first trial step of the cell next_w just gave the lane: its carried step,
 * at least h0 (ros3_integrate_w cuts it to the span); 0 (none) lets the solver take o->h0 */
static double h0_w(void *ctx, int lane)
{
    const ChemWork *w = ctx;
    if (!w->hc) return 0.0;
    const double hv = w->hc[w->lane_cell[lane]];
    if (!(hv > 0.0)) return 0.0;
    return hv > w->m->h0 ? hv : w->m->h0;
}

/* What a successful call leaves for the cell's next one: the step the controller would have taken
 * next, i.e. the larger of its last proposal and the proposal the landing on the span's end cut
 * (a short landing step proposes little; docs/chemistry.md, "Carried step size"); after a call
 * with a rejection (the cell's chemistry changed within it) h_carry_rej of that. */
static double carried(const ChemMech *m, const RosStats *st)
{
    const double h = st->h_last > st->h_next ? st->h_last : st->h_next;
    return st->rejected > 0 ? m->h_carry_rej * h : h;
}

static void done_w(void *ctx, int lane, const double *y, int status, const RosStats *st)
{
    ChemWork *w = ctx;
    const int c = w->lane_cell[lane];
    if (w->hc) w->hc[c] = status == ROS_OK ? carried(w->m, st) : 0.0;
    if (status == ROS_OK && w->ldy) {
        double *yq = w->y + c;
        const size_t ldy = w->ldy;
#pragma GCC unroll 16
        for (int s = 0; s < NS; s++) yq[s * ldy] = y[s * W];
    } else if (status == ROS_OK) {
        double *yc = w->y + (size_t)c * NS;
#pragma GCC unroll 16
        for (int s = 0; s < NS; s++) yc[s] = y[s * W];
    }
    w->status[c] = status == ROS_OK ? CHEM_OK : CHEM_FAILED;
    w->rs.accepted += st->accepted;
    w->rs.rejected += st->rejected;
    w->rs.rejected_negative += st->rejected_negative;
    w->rs.fcn += st->fcn;
    w->rs.jac += st->jac;
    w->rs.lu += st->lu;
}

ChemWork *chem_work_create(const ChemMech *m)
{
    ChemWork *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->ros = ros_work_create(NS, m->pattern);
    if (!w->ros) {
        free(w);
        return NULL;
    }
    LANES w->one[l] = 1.0;
    return w;
}

void chem_work_fused(ChemWork *w, int on) { w->unfused = !on; }

void chem_work_free(ChemWork *w)
{
    if (!w) return;
    ros_work_free(w->ros);
    free(w);
}

static void run_lanes(const ChemMech *m, double *y, size_t ldy, const double *k, size_t ldk, const double *src,
                      int first, int end, double span, const RosOptions *o, int *status, double *h, ChemWork *w)
{
    w->m = m;
    w->hc = h;
    w->y = y;
    w->ldy = ldy;
    w->kc = k;
    w->ldk = ldk;
    w->src = src;
    w->status = status;
    w->pos = first;
    w->end = end;
    memset(w->kl, 0, sizeof w->kl);
    w->rp_y = NULL;
    memset(w->srcl, 0, sizeof w->srcl);
    /* keeps_initial: a cell's values in y stay as they were until done_w writes a success, and
     * a failed cell is retried from its own copy (chem_integrate_cells) */
    static const RosLaneOps ops = {rhs_w, jac_w, 1, lu_w, solve_w, next_w, done_w, h0_w, stage_w, 1, attempt_w};
    static const RosLaneOps ops_unfused = {rhs_w, jac_w, 1, lu_w, solve_w, next_w, done_w, h0_w, stage_w, 1, NULL};
    ros3_integrate_w(NS, w->unfused ? &ops_unfused : &ops, w, span, o, w->ros);
}

/* cell c's NS values of y (ldy = 0: y[c * NS + s]; else y[s * ldy + c]) to and from v */
static void cell_get(const double *y, size_t ldy, int c, double *v)
{
    for (int s = 0; s < NS; s++) v[s] = ldy ? y[s * ldy + c] : y[(size_t)c * NS + s];
}
static void cell_put(double *y, size_t ldy, int c, const double *v)
{
    for (int s = 0; s < NS; s++) {
        if (ldy) y[s * ldy + c] = v[s];
        else y[(size_t)c * NS + s] = v[s];
    }
}

static void integrate_cells(const ChemMech *m, int n, double *y, size_t ldy, const double *k, size_t ldk,
                            const double *src, double dt, double *h, ChemWork *w, int *status, ChemStats *st)
{
    RosOptions o = {.rtol = m->rtol, .atol = m->atol, .h0 = m->h0 > 0 ? m->h0 : dt, .hmin = m->hmin,
                    .max_steps = m->max_steps, .positive = 1};
    memset(&w->rs, 0, sizeof w->rs);
    run_lanes(m, y, ldy, k, ldk, src, 0, n, dt, &o, status, h, w);
    long nretried = 0, nfailed = 0;
    for (int c = 0; c < n; c++) {
        if (status[c] != CHEM_FAILED) continue;
        /* Retry on shorter spans: each restarts the step-size search and gets its own step
         * budget, which carries a cell through a burst or a sunrise that exhausted one. */
        static const int nsub[] = {4, 16, 64};
        cell_get(y, ldy, c, w->y0);
        for (size_t r = 0; r < sizeof nsub / sizeof *nsub && status[c] == CHEM_FAILED; r++) {
            cell_put(y, ldy, c, w->y0);
            double sub = dt / nsub[r];
            RosOptions os = o;
            os.h0 = m->h0 > 0 ? m->h0 : sub;
            int ok = 1;
            for (int i = 0; i < nsub[r] && ok; i++) {
                /* from h0, as the first try's failure left h[c] = 0 for the next call */
                run_lanes(m, y, ldy, k, ldk, src, c, c + 1, sub, &os, status, NULL, w);
                ok = status[c] == CHEM_OK;
            }
            status[c] = ok ? CHEM_RETRIED : CHEM_FAILED;
        }
        if (status[c] == CHEM_FAILED) cell_put(y, ldy, c, w->y0);
        nretried += status[c] == CHEM_RETRIED;
        nfailed += status[c] == CHEM_FAILED;
    }
    if (st) {
        const ChemStats a = {.ros = w->rs, .cells = n, .retried = nretried, .failed = nfailed};
        chem_stats_add(st, &a);
    }
}

void chem_integrate_cells(const ChemMech *m, int n, double *y, const double *k, const double *src,
                          double dt, ChemWork *w, int *status, ChemStats *st)
{
    integrate_cells(m, n, y, 0, k, 0, src, dt, NULL, w, status, st);
}

void chem_integrate_cells_h(const ChemMech *m, int n, double *y, const double *k, const double *src,
                            double dt, double *h, ChemWork *w, int *status, ChemStats *st)
{
    integrate_cells(m, n, y, 0, k, 0, src, dt, h, w, status, st);
}

void chem_integrate_cells_lm(const ChemMech *m, int n, double *y, const double *k, size_t ldk,
                             const double *src, double dt, ChemWork *w, int *status, ChemStats *st)
{
    integrate_cells(m, n, y, 0, k, ldk, src, dt, NULL, w, status, st);
}

void chem_integrate_cells_qm(const ChemMech *m, int n, double *y, const double *k, size_t ld, double dt,
                             double *h, ChemWork *w, int *status, ChemStats *st)
{
    integrate_cells(m, n, y, ld, k, ld, NULL, dt, h, w, status, st);
}

void chem_stats_add(ChemStats *st, const ChemStats *a)
{
    st->cells += a->cells;
    st->retried += a->retried;
    st->failed += a->failed;
    st->ros.accepted += a->ros.accepted;
    st->ros.rejected += a->ros.rejected;
    st->ros.rejected_negative += a->ros.rejected_negative;
    st->ros.fcn += a->ros.fcn;
    st->ros.jac += a->ros.jac;
    st->ros.lu += a->ros.lu;
}

int chem_integrate(const ChemMech *m, const ChemEnv *env, double *c, const double *src, double dt,
                   ChemWork *w, ChemStats *st)
{
    for (int s = 0; s < NS; s++) {
        w->y1[s] = c[m->idx[s]];
        w->src1[s] = src ? src[m->idx[s]] : 0.0;
    }
    chem_rate_constants(env, w->k);
    int status;
    chem_integrate_cells(m, 1, w->y1, w->k, w->src1, dt, w, &status, st);
    if (status == CHEM_FAILED) return status;
    for (int s = 0; s < NS; s++) c[m->idx[s]] = w->y1[s];
    if (src)
        for (int i = 0; i < m->nspec; i++) {
            int inmech = 0;
            for (int s = 0; s < NS; s++) inmech |= m->idx[s] == i;
            if (!inmech) c[i] += src[i] * dt;
        }
    return status;
}

/* ---- atom balances ------------------------------------------------------------------------- */

static double count_atoms(const SpeciesTable *t, const double *c, const char *const *names,
                          const double *atoms, int n)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        int s = species_find(t, names[i]);
        if (s >= 0) sum += atoms[i] * c[s];
    }
    return sum;
}

double chem_nitrogen(const SpeciesTable *t, const double *c)
{
    static const char *const names[] = {"NO", "NO2", "HNO3", "NO3", "N2O5", "PNO3", "NH3", "PNH4"};
    static const double atoms[] = {1, 1, 1, 1, 2, 1, 1, 1};
    return count_atoms(t, c, names, atoms, 8);
}

double chem_sulfur(const SpeciesTable *t, const double *c)
{
    static const char *const names[] = {"SO2", "PSO4", "SULF"};
    static const double atoms[] = {1, 1, 1};
    return count_atoms(t, c, names, atoms, 3);
}

double chem_pm25(const SpeciesTable *t, const double *c, double T, double p)
{
    double pm = 0.0;
    for (int i = 0; i < t->n; i++)
        if (t->s[i].phase == SPECIES_AEROSOL && strcmp(t->s[i].name, "PMC"))
            pm += species_ppb_to_ugm3(&t->s[i], c[i], T, p);
    return pm;
}
