#include "chem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aerosol.h"

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

/* ---- rate constants ------------------------------------------------------------------------
 * GRS (Azzi, Johnson & Cope 1992, rates as in HYSPLIT's GRS module, DESIGN 4.2): bimolecular
 * constants are fitted in ppm-1 min-1 at 1 atm; at the same T a ppb-based constant scales with
 * the number density, i.e. with p / 101325 (Urumqi sits near 900 hPa): k->fp. */
static double k_r1(const ChemKin *k) { return k->env->j.jno2 * 1.0e4 * exp(-4710.0 / k->T); }
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
    return chem_troe(3.6e-30 * exp(-4.1 * k->ln_t), 1.9e-12 * exp(0.2 * k->ln_t), 0.35, k->M) * k->ppb;
}
static double k_n6(const ChemKin *k)
{
    return chem_troe(1.3e-3 * exp(-3.5 * k->ln_t - 11000.0 / k->T),
                     9.7e14 * exp(0.1 * k->ln_t - 11080.0 / k->T), 0.35, k->M);
}
static double k_h1(const ChemKin *k) { return k->env->k_n2o5_het; }
static double k_o1(const ChemKin *k)
{
    return chem_troe(3.2e-30 * exp(-4.5 * k->ln_t), 3.0e-11, 0.41, k->M) * k->env->oh;
}
static double k_o2(const ChemKin *k)
{
    return chem_troe(2.8e-31 * exp(-2.6 * k->ln_t), 2.0e-12, 0.53, k->M) * k->env->oh;
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
#define NS CH_NSPEC

double chem_troe(double k0, double kinf, double fc, double M)
{
    const double LN10 = 2.302585092994046;
    double k0m = k0 * M;
    double r = k0m / kinf;
    double lnfc = log(fc);
    double n = 0.75 - 1.27 * lnfc / LN10;
    double x = log(r) / (LN10 * n);
    return k0m / (1.0 + r) * exp(lnfc / (1.0 + x * x));
}

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
    /* Production tolerances (docs/chemistry.md): they hold the 24-h box run within 1e-4
     * relative or 1e-6 ppb of a GSL reference at rtol 1e-8 (test_chem). */
    m->rtol = 1e-5;
    m->atol = 1e-7;
    m->h0 = 0.0;
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

void chem_env_heterogeneous(ChemEnv *env, const SpeciesTable *t, const double *c)
{
    double pm = chem_pm25(t, c, env->T, env->p);
    int iso4 = species_find(t, "PSO4"), ino3 = species_find(t, "PNO3"), io3 = species_find(t, "O3");
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

void chem_rate_constants(const ChemEnv *env, double *k)
{
    ChemKin kin = {env, env->T, env->M, 1e-9 * env->M, env->p / P_STD, log(env->T / 300.0)};
    for (int r = 0; r < NR; r++) k[r] = chem_reactions[r].k(&kin);
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

/* ---- integration --------------------------------------------------------------------------- */

struct ChemWork {
    RosWork *ros;
    double k[NR];
    double src[NS];
    double y[NS], y0[NS];
};

typedef struct {
    const ChemMech *m;
    const double *k, *src;
} OdeCtx;

static void ode_f(void *ctx, const double *y, double *f)
{
    const OdeCtx *o = ctx;
    chem_rhs(o->m, o->k, y, f);
    for (int i = 0; i < NS; i++) f[i] += o->src[i];
}

static void ode_jac(void *ctx, const double *y, double *jac)
{
    const OdeCtx *o = ctx;
    chem_jacobian(o->m, o->k, y, jac);
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
    return w;
}

void chem_work_free(ChemWork *w)
{
    if (!w) return;
    ros_work_free(w->ros);
    free(w);
}

int chem_integrate(const ChemMech *m, const ChemEnv *env, double *c, const double *src, double dt,
                   ChemWork *w, ChemStats *st)
{
    for (int s = 0; s < NS; s++) {
        w->y[s] = c[m->idx[s]];
        w->src[s] = src ? src[m->idx[s]] : 0.0;
    }
    memcpy(w->y0, w->y, sizeof w->y);
    chem_rate_constants(env, w->k);
    OdeCtx ctx = {m, w->k, w->src};
    RosOptions o = {.rtol = m->rtol, .atol = m->atol, .h0 = m->h0 > 0 ? m->h0 : dt, .hmin = m->hmin,
                    .max_steps = m->max_steps, .positive = 1};
    RosStats rs = {0};
    int status = CHEM_OK;
    if (ros3_integrate(NS, ode_f, ode_jac, &ctx, w->y, dt, &o, w->ros, &rs) != ROS_OK) {
        /* Retry on shorter spans: each restarts the step-size search and gets its own step
         * budget, which carries a cell through a burst or a sunrise that exhausted one. */
        static const int nsub[] = {4, 16, 64};
        status = CHEM_FAILED;
        for (size_t r = 0; r < sizeof nsub / sizeof *nsub && status == CHEM_FAILED; r++) {
            memcpy(w->y, w->y0, sizeof w->y);
            double sub = dt / nsub[r];
            int ok = 1;
            for (int i = 0; i < nsub[r] && ok; i++)
                ok = ros3_integrate(NS, ode_f, ode_jac, &ctx, w->y, sub, &o, w->ros, &rs) == ROS_OK;
            if (ok) status = CHEM_RETRIED;
        }
    }
    if (st) {
        st->cells++;
        st->retried += status == CHEM_RETRIED;
        st->failed += status == CHEM_FAILED;
        st->ros.accepted += rs.accepted;
        st->ros.rejected += rs.rejected;
        st->ros.rejected_negative += rs.rejected_negative;
        st->ros.fcn += rs.fcn;
        st->ros.jac += rs.jac;
        st->ros.lu += rs.lu;
    }
    if (status == CHEM_FAILED) return status;
    for (int s = 0; s < NS; s++) c[m->idx[s]] = w->y[s];
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
