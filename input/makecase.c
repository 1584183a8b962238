/* The embedded northern-Tianshan winter case (see makecase.h, docs/makecase.md and
 * input/README.md).
 *
 * What it builds: the meteorology through synthmet (real ETOPO5 relief, the stagnation episode
 * and its cold front), and from tables in this file the regional emission inventory: annual
 * totals by sector and species (t/yr), the share of each industrial sector emitted by the listed
 * point sources, spatial proxies for the rest (population around the real towns, the G30/G312
 * road corridor, the farmland of the oasis belt, the industrial parks) and monthly cycles.  The
 * gridded values are total x normalised spatial weight x monthly fraction, so the inventory sums
 * back to the documented totals to round-off.  Stations and city populations come from the real
 * data copied in input/data (CNEMC site list, GeoNames), census figures where GeoNames has none.
 *
 * Assumptions: the inventory is a climatology (a non-leap year for the month lengths); every
 * inventory cell lies inside the model domain at every supported resolution, so the regridded
 * domain total equals the documented total. */
#include "makecase.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netcdf.h>
#include <proj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "timeutil.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* ---------------------------------------------------------------- the domain ---- */

/* 800 km x 480 km around 44.5 N 87.5 E: the Junggar basin from Wusu to Fukang, Karamay in the
 * north, the Tianshan crest and the Bogda massif in the south, Turpan behind it.  Centred east of
 * the Kuitun-Urumqi line so that Bole (82.05-82.08 E, CNEMC sites but no population source
 * here) stays ~25 km outside while 83.5-89.5 E keeps a margin of more than 80 km. */
#define MC_CEN_LAT 44.5
#define MC_CEN_LON 87.5
#define MC_WIDTH_KM 800.0
#define MC_HEIGHT_KM 480.0
#define MC_NZ 24
#define MC_EARTH_R 6370000.0  /* WRF's sphere (share/module_llxy.F) */
#define MC_KM_PER_DEG 111.195 /* great-circle km per degree on a 6371-km sphere */

/* The inventory grid: 0.05 degree, 83.0-90.0 E x 43.0-46.2 N (cell edges), inside the domain */
#define INV_LON0 83.0
#define INV_LAT0 43.0
#define INV_D 0.05
#define INV_NLON 140
#define INV_NLAT 64

static const char *const SECTORS[MC_NSECTOR] = {
    "power",         "steel",          "cement",          "coke",
    "petrochemical", "coal_chemical",  "other_industry",  "residential",
    "transport_heavy", "transport_light", "agriculture", "other"};
enum { S_POWER, S_STEEL, S_CEMENT, S_COKE, S_PETRO, S_COALCHEM, S_OTHERIND, S_RESID, S_TRH,
       S_TRL, S_AGRI, S_OTHER };

static const char *const SPECIES[MC_NSPEC] = {"SO2", "NOx", "NH3", "VOC", "CO",
                                              "PM25", "PM10", "BC", "OC"};
static const char *const SPECIES_LONG[MC_NSPEC] = {
    "sulfur dioxide", "nitrogen oxides as NO2 mass", "ammonia",
    "non-methane volatile organic compounds", "carbon monoxide",
    "primary PM2.5", "primary PM10", "black carbon", "organic carbon"};

/* Annual regional totals, t/yr (= Mg/yr), around 2017, for the northern-slope region (Urumqi
 * with Midong, Changji, Hutubi, Manas, Fukang, Wujiaqu, Shihezi, Kuitun, Dushanzi, Wusu,
 * Karamay).  They are Bogda estimates anchored on published figures; input/README.md gives the
 * anchors and the apportionment (columns: SO2, NOx, NH3, VOC, CO, PM25, PM10, BC, OC). */
static const double TOTALS[MC_NSECTOR][MC_NSPEC] = {
    /* power */          {45000, 50000, 300, 1500, 12000, 6000, 10000, 150, 100},
    /* steel */          {14000, 14000, 100, 4000, 260000, 8000, 13000, 300, 400},
    /* cement */         {5000, 16000, 50, 800, 30000, 6000, 12000, 100, 100},
    /* coke */           {6000, 5000, 200, 9000, 90000, 3000, 4500, 400, 600},
    /* petrochemical */  {9000, 9000, 300, 45000, 20000, 2000, 3000, 100, 200},
    /* coal_chemical */  {16000, 12000, 1500, 20000, 60000, 4000, 6500, 200, 300},
    /* other_industry */ {20000, 14000, 500, 25000, 100000, 9000, 16000, 500, 800},
    /* residential */    {30000, 8000, 1500, 15000, 420000, 19000, 22000, 4200, 8200},
    /* transport_heavy */{300, 30000, 100, 5000, 40000, 2500, 2800, 900, 300},
    /* transport_light */{200, 10000, 500, 16000, 120000, 600, 700, 100, 200},
    /* agriculture */    {0, 1000, 48000, 1500, 5000, 2500, 9000, 100, 300},
    /* other */          {4500, 1000, 1950, 7200, 23000, 2400, 5500, 50, 500},
};

/* Share of each sector's total emitted by the stacks of points.csv (the large plants); the rest
 * (small boilers, fugitive and low-level sources) is gridded, so nothing is counted twice. */
static const double POINT_SHARE[MC_NSECTOR] = {0.85, 0.85, 0.60, 0.70, 0.55, 0.60,
                                               0, 0, 0, 0, 0, 0};

/* Monthly activity per day (January first): heating season 15 October - 15 April for
 * residential heating and the combined heat-and-power plants; fertiliser and warm-season
 * volatilisation for agricultural NH3; flat otherwise.  Multiplied by the month's length and
 * normalised over the year. */
static const double MONTHLY[MC_NSECTOR][12] = {
    {1.25, 1.20, 1.10, 0.95, 0.85, 0.85, 0.90, 0.90, 0.85, 0.95, 1.10, 1.20},
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {2.00, 1.80, 1.40, 0.80, 0.30, 0.25, 0.25, 0.25, 0.30, 0.80, 1.50, 1.90},
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {0.40, 0.50, 0.90, 1.40, 1.60, 1.50, 1.40, 1.30, 1.10, 0.90, 0.60, 0.40},
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
};
static const int MONTH_DAYS[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

/* ---------------------------------------------------------------- places ---- */

/* Cities of cities.csv.  Population and coordinates from the GeoNames copy when it has the
 * place with a population; otherwise the census figure below (source in input/README.md) and
 * the coordinates of /work/shared/data/README.md or of GeoNames.  in_region: the inventory's
 * region (Turpan lies in the domain, across the Bogda massif, and is not inventoried). */
typedef struct CityDef {
    const char *name, *geonames;
    double census;            /* used when GeoNames has no population for the place */
    const char *census_src;
    double lon, lat;          /* used when GeoNames lacks the place */
    int in_region;
} CityDef;

static const CityDef CITIES[] = {
    {"Urumqi", "Ürümqi", 0, NULL, 0, 0, 1},
    {"Changji", "Changji", 0, NULL, 0, 0, 1},
    {"Fukang", "Fukang", 165006, "census 2010", 87.99, 44.16, 1},
    {"Wujiaqu", NULL, 96436, "census 2010", 87.55, 44.18, 1},
    {"Hutubi", "Khutubi", 210201, "census 2010 (county)", 86.89, 44.19, 1},
    {"Manas", NULL, 237558, "census 2010 (county)", 86.22, 44.30, 1},
    {"Shihezi", "Shihezi", 0, NULL, 0, 0, 1},
    {"Kuitun", "Kuytun", 166261, "census 2010", 84.90, 44.43, 1},
    {"Dushanzi", "Dushanzi", 69361, "census 2010", 84.85, 44.33, 1},
    {"Wusu", NULL, 298907, "census 2010", 84.68, 44.43, 1},
    {"Karamay", "Karamay", 0, NULL, 0, 0, 1},
    {"Turpan", "Turpan", 0, NULL, 0, 0, 0},
};
#define NCITY ((int)(sizeof CITIES / sizeof *CITIES))

typedef struct City {
    double lon, lat, pop;
    const char *pop_src;
} City;

/* Residential population sites beyond the city centres: Midong (Urumqi's northern district,
 * 15 % of Urumqi's population, an apportionment) and Baijiantan (Karamay's north-eastern
 * district, GeoNames 93,697). */
#define MIDONG_LON 87.67
#define MIDONG_LAT 43.95
#define MIDONG_SHARE 0.15
#define BAIJIANTAN_LON 85.13942
#define BAIJIANTAN_LAT 45.69298
#define BAIJIANTAN_POP 93697.0

/* Industrial parks (the gridded part of the industrial sectors) and their share of each
 * industrial sector (columns power, steel, cement, coke, petrochemical, coal_chemical,
 * other_industry; each column sums to 1).  Locations approximate. */
typedef struct Park {
    const char *name;
    double lon, lat;
    double w[7];
} Park;

static const Park PARKS[] = {
    {"Toutunhe (Urumqi west)", 87.42, 43.88, {0.10, 0.70, 0.20, 0.30, 0.00, 0.00, 0.15}},
    {"Midong (Urumqi north)", 87.68, 44.02, {0.20, 0.00, 0.20, 0.00, 0.35, 0.25, 0.15}},
    {"Changji", 87.35, 44.05, {0.15, 0.10, 0.10, 0.00, 0.00, 0.00, 0.12}},
    {"Fukang", 88.05, 44.15, {0.15, 0.00, 0.15, 0.20, 0.00, 0.20, 0.08}},
    {"Wujiaqu", 87.58, 44.22, {0.10, 0.00, 0.00, 0.00, 0.00, 0.20, 0.08}},
    {"Shihezi", 86.10, 44.35, {0.15, 0.00, 0.10, 0.00, 0.00, 0.20, 0.12}},
    {"Manas", 86.25, 44.33, {0.05, 0.10, 0.10, 0.20, 0.00, 0.00, 0.06}},
    {"Kuitun-Dushanzi", 84.92, 44.38, {0.05, 0.10, 0.15, 0.30, 0.35, 0.15, 0.10}},
    {"Karamay", 84.87, 45.60, {0.05, 0.00, 0.00, 0.00, 0.30, 0.00, 0.08}},
    {"Wusu", 84.68, 44.46, {0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.06}},
};
#define NPARK ((int)(sizeof PARKS / sizeof *PARKS))
#define PARK_SIGMA_KM 3.0

/* Road corridors: G30 (Dabancheng - Urumqi - Changji - Hutubi - Manas - Shihezi - Shawan -
 * Kuitun - Wusu - towards Jinghe, with G312 alongside), Kuitun - Dushanzi, Kuitun - Karamay -
 * Baijiantan (G217/G3014), Urumqi - Midong - Fukang (G216), Urumqi - Wujiaqu.  Vertices at the
 * towns (approximate routes). */
static const double G30[][2] = {{88.32, 43.36}, {87.60, 43.80}, {87.30, 44.01}, {86.89, 44.19},
                                {86.22, 44.30}, {86.04, 44.30}, {85.62, 44.33}, {84.90, 44.43},
                                {84.68, 44.43}, {83.55, 44.55}};
static const double ROAD_DSZ[][2] = {{84.90, 44.43}, {84.85, 44.33}};
static const double ROAD_KMY[][2] = {{84.90, 44.43}, {84.89, 45.58}, {85.14, 45.69}};
static const double ROAD_FK[][2] = {{87.60, 43.80}, {87.68, 43.97}, {87.97, 44.16}, {88.50, 44.05}};
static const double ROAD_WJQ[][2] = {{87.60, 43.80}, {87.55, 44.18}};
typedef struct Road {
    const double (*v)[2];
    int n;
} Road;
static const Road ROADS[] = {{G30, 10}, {ROAD_DSZ, 2}, {ROAD_KMY, 3}, {ROAD_FK, 4},
                             {ROAD_WJQ, 2}};
#define NROAD ((int)(sizeof ROADS / sizeof *ROADS))
#define ROAD_SIGMA_KM 2.0
#define FARM_SCALE_KM 25.0   /* e-folding distance of farmland from the G30 oasis belt */

/* Point sources: the large plants of the industrial sectors.  Names of real plants where
 * published, with "approx." for estimated coordinates; "estimate" marks a generic plant standing
 * for an industrial park's large stacks.  w: share within the sector's point total. */
typedef struct PointDef {
    const char *id, *name;
    double lon, lat;
    int sector;
    double w;
} PointDef;

static const PointDef POINTS[] = {
    {"PW01", "Hongyanchi power plant Urumqi (approx.)", 87.63, 43.72, S_POWER, 1.0},
    {"PW02", "Midong combined heat and power plant Urumqi (approx.)", 87.70, 44.00, S_POWER, 1.0},
    {"PW03", "Changji combined heat and power plant (approx.)", 87.27, 44.05, S_POWER, 0.7},
    {"PW04", "Tianfu combined heat and power plant Shihezi (approx.)", 86.08, 44.33, S_POWER, 1.0},
    {"PW05", "Manas power plant (approx.)", 86.20, 44.34, S_POWER, 0.8},
    {"PW06", "Kuitun power plant (approx.)", 84.95, 44.45, S_POWER, 0.6},
    {"PW07", "Dushanzi petrochemical power plant (approx.)", 84.89, 44.30, S_POWER, 0.6},
    {"PW08", "Karamay power plant (approx.)", 84.90, 45.62, S_POWER, 0.5},
    {"PW09", "Wujiaqu combined heat and power plant (estimate)", 87.56, 44.22, S_POWER, 0.5},
    {"PW10", "Fukang power plant (estimate)", 88.02, 44.17, S_POWER, 0.6},
    {"ST01", "Baowu Bayi Iron and Steel Urumqi Toutunhe (approx.)", 87.40, 43.88, S_STEEL, 1.0},
    {"CM01", "cement plant Urumqi Midong (estimate)", 87.75, 43.98, S_CEMENT, 1.0},
    {"CM02", "cement plant Fukang (estimate)", 88.08, 44.12, S_CEMENT, 0.7},
    {"CM03", "cement plant Kuitun (estimate)", 84.98, 44.38, S_CEMENT, 0.5},
    {"CK01", "Bayi Steel coking plant Urumqi (approx.)", 87.41, 43.90, S_COKE, 1.0},
    {"CK02", "coking plant Kuitun-Dushanzi (estimate)", 84.95, 44.36, S_COKE, 0.8},
    {"PC01", "PetroChina Urumqi Petrochemical Midong (approx.)", 87.63, 44.06, S_PETRO, 1.0},
    {"PC02", "PetroChina Dushanzi Petrochemical (approx.)", 84.88, 44.31, S_PETRO, 1.2},
    {"PC03", "PetroChina Karamay Petrochemical (approx.)", 84.85, 45.60, S_PETRO, 0.6},
    {"CC01", "Zhongtai Chemical Midong-Fukang (approx.)", 87.82, 44.10, S_COALCHEM, 1.0},
    {"CC02", "Tianye chemical plant Shihezi (approx.)", 86.12, 44.37, S_COALCHEM, 1.0},
    {"CC03", "coal chemical plant Wujiaqu park (estimate)", 87.60, 44.24, S_COALCHEM, 0.5},
};
#define NPOINT ((int)(sizeof POINTS / sizeof *POINTS))

/* Stack parameters by sector (estimates typical of Chinese plants of each kind: 300-600 MW
 * units behind wet desulfurisation exit at ~50 C; sinter, kiln, coke-oven and process stacks
 * are lower and hotter).  height m, diameter m, exit velocity m/s, exit temperature K. */
static const double STACK[6][4] = {
    {210.0, 7.0, 20.0, 325.0}, /* power */
    {120.0, 5.0, 15.0, 400.0}, /* steel (sinter) */
    {100.0, 4.0, 14.0, 390.0}, /* cement kiln */
    {80.0, 4.0, 12.0, 450.0},  /* coke oven */
    {120.0, 4.0, 12.0, 430.0}, /* petrochemical furnaces */
    {120.0, 5.0, 14.0, 380.0}, /* coal chemical */
};

/* English names of the CNEMC sites that can fall in the domain; background (control) sites are
 * not part of a city mean (HJ 663), so their city is left empty. */
typedef struct SiteName {
    const char *code, *name, *city;
} SiteName;

static const SiteName SITES[] = {
    {"1490A", "Monitoring Station", "Urumqi"},
    {"1491A", "Toll Station", "Urumqi"},
    {"1492A", "Xinjiang Academy of Agricultural Sciences Farm (background)", ""},
    {"1493A", "Railway Bureau", "Urumqi"},
    {"1494A", "No. 31 Middle School", "Urumqi"},
    {"1496A", "Midong District Environmental Protection Bureau", "Urumqi"},
    {"3033A", "Training Base (mountain background)", ""},
    {"2686A", "Municipal Environmental Protection Bureau", "Turpan"},
    {"2687A", "Prefectural Environmental Protection Bureau", "Turpan"},
    {"2690A", "Tianshan Tianchi (background)", ""},
    {"2692A", "New District Government Centre", "Changji"},
    {"3613A", "Yaxin Square", "Changji"},
    {"2709A", "Ai Qing Poetry Museum", "Shihezi"},
    {"2710A", "Sunshine School", "Shihezi"},
    {"2711A", "Agriculture and Water Building", "Wujiaqu"},
    {"3612A", "Baijiantan District new site", "Karamay"},
};
#define NSITE ((int)(sizeof SITES / sizeof *SITES))

/* Stations at the city coordinates of /work/shared/data/README.md (no CNEMC site there). */
static const struct {
    const char *id, *name, *city;
    double lon, lat;
} XSTATIONS[] = {
    {"XKT01", "Kuitun city coordinates (no CNEMC site)", "Kuitun", 84.90, 44.43},
    {"XDS01", "Dushanzi city coordinates (no CNEMC site)", "Dushanzi", 84.85, 44.33},
    {"XWS01", "Wusu city coordinates (no CNEMC site)", "Wusu", 84.68, 44.43},
};

static const char *const F_ETOPO = "etopo5_tianshan_76-94E_40-49N.nc";
static const char *const F_CNEMC = "cnemc_xinjiang_stations.csv";
static const char *const F_GEONAMES = "geonames_cities1000_tianshan_78-92E_41.5-47.5N.csv";

/* ---------------------------------------------------------------- public tables ---- */

const char *makecase_sector(int isec)
{
    return isec >= 0 && isec < MC_NSECTOR ? SECTORS[isec] : NULL;
}

const char *makecase_species(int isp) { return isp >= 0 && isp < MC_NSPEC ? SPECIES[isp] : NULL; }

double makecase_total_t(int isec, int isp)
{
    if (isec < 0 || isec >= MC_NSECTOR || isp < 0 || isp >= MC_NSPEC) return NAN;
    return TOTALS[isec][isp];
}

double makecase_point_share(int isec)
{
    return isec >= 0 && isec < MC_NSECTOR ? POINT_SHARE[isec] : NAN;
}

void makecase_grid_size(double resolution_km, int *nx, int *ny, int *nz)
{
    *nx = (int)lround(MC_WIDTH_KM / resolution_km);
    *ny = (int)lround(MC_HEIGHT_KM / resolution_km);
    *nz = MC_NZ;
}

void makecase_names(double resolution_km, char *ini, size_t nini, char *met, size_t nmet)
{
    if (ini) {
        if (resolution_km == 12.0) snprintf(ini, nini, "demo.ini");
        else if (resolution_km == 4.0) snprintf(ini, nini, "bench.ini");
        else snprintf(ini, nini, "case_%gkm.ini", resolution_km);
    }
    if (met) snprintf(met, nmet, "met_%gkm", resolution_km);
}

void makecase_defaults(MakeCaseSpec *s)
{
    memset(s, 0, sizeof *s);
    s->resolution_km = 12.0;
    s->days = 4;
    snprintf(s->start, sizeof s->start, "2024-01-10T00:00:00Z");
    s->interval_h = 1.0;
}

static int check_spec(const MakeCaseSpec *s, double *t0, BgErr *e)
{
    if (!s->dir[0] || !memchr(s->dir, '\0', sizeof s->dir))
        return bg_fail(e, BG_ECONFIG, NULL, NULL, "makecase: missing output directory DIR");
    /* coarser than 30 km the lattice no longer holds the inventory grid (83-90 E) */
    if (!(s->resolution_km >= 2.0 && s->resolution_km <= 30.0))
        return bg_fail(e, BG_ECONFIG, NULL, NULL,
                       "makecase: resolution %g km is outside 2..30 km (option --resolution)",
                       s->resolution_km);
    if (s->days < 1 || s->days > 30)
        return bg_fail(e, BG_ECONFIG, NULL, NULL,
                       "makecase: %d days is outside 1..30 (option --days)", s->days);
    if (!memchr(s->start, '\0', sizeof s->start) || time_parse(s->start, t0) != 0)
        return bg_fail(e, BG_ECONFIG, NULL, NULL,
                       "makecase: start '%.31s' is not an ISO-8601 time (option --start)",
                       s->start);
    double per = 24.0 / s->interval_h, sec = s->interval_h * 3600.0;
    if (!(s->interval_h > 0.0) || fabs(per - floor(per + 0.5)) > 1e-9 ||
        fabs(sec - floor(sec + 0.5)) > 1e-6)
        return bg_fail(e, BG_ECONFIG, NULL, NULL,
                       "makecase: interval %g h does not divide 24 h into whole seconds "
                       "(option --interval)", s->interval_h);
    return BG_OK;
}

int makecase_met_spec(const MakeCaseSpec *s, const char *etopo_path, SynthMetSpec *m, BgErr *e)
{
    double t0;
    BG_TRY(check_spec(s, &t0, e));
    synthmet_defaults(m);
    makecase_grid_size(s->resolution_km, &m->nx, &m->ny, &m->nz);
    m->dx_m = s->resolution_km * 1000.0;
    m->cen_lat = MC_CEN_LAT;
    m->cen_lon = MC_CEN_LON;
    m->stand_lon = MC_CEN_LON;
    time_format(t0, m->start, (int)sizeof m->start);
    m->interval_h = s->interval_h;
    int per_day = (int)lround(24.0 / s->interval_h);
    m->nrec = s->days * per_day + 1;
    m->rec_per_file = per_day;
    /* weak south-westerly drift in the basin, as under a winter anticyclone */
    m->u0 = 1.0;
    m->v0 = 0.3;
    m->jet_ms = 50.0;
    m->terrain = 2;
    snprintf(m->terrain_file, sizeof m->terrain_file, "%s", etopo_path ? etopo_path : "");
    m->inversion = 1;
    m->diurnal = 1;
    m->episode = 1;
    /* the front reaches the basin at 03 UTC (09 Beijing time) on the last day */
    m->front_h = (s->days - 1) * 24.0 + 3.0;
    return synthmet_check(m, e);
}

/* ---------------------------------------------------------------- small helpers ---- */

static int path_join(char *out, size_t n, const char *a, const char *b)
{
    int k = snprintf(out, n, "%s/%s", a, b);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

static int mkdir_p(const char *dir, BgErr *e)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p)
        return bg_fail(e, BG_ECONFIG, dir, NULL, "path too long");
    size_t n = strlen(p);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0') continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST)
            return bg_fail(e, BG_EFAIL, dir, NULL, "cannot create directory: %s",
                           strerror(errno));
        p[i] = c;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return bg_fail(e, BG_EFAIL, dir, NULL, "not a directory");
    return BG_OK;
}

/* A text file written under DIR/.NAME.tmp and renamed to DIR/NAME by out_close. */
typedef struct OutFile {
    FILE *f;
    char tmp[PATH_MAX], path[PATH_MAX];
} OutFile;

static int out_open(OutFile *o, const char *dir, const char *name, BgErr *e)
{
    char tname[256];
    snprintf(tname, sizeof tname, ".%s.tmp", name);
    if (path_join(o->path, sizeof o->path, dir, name) ||
        path_join(o->tmp, sizeof o->tmp, dir, tname))
        return bg_fail(e, BG_ECONFIG, dir, name, "path too long");
    o->f = fopen(o->tmp, "w");
    if (!o->f) return bg_fail(e, BG_EFAIL, o->tmp, NULL, "cannot write: %s", strerror(errno));
    return BG_OK;
}

static int out_close(OutFile *o, BgErr *e)
{
    int bad = ferror(o->f);
    if (fclose(o->f) != 0) bad = 1;
    o->f = NULL;
    if (bad) {
        remove(o->tmp);
        return bg_fail(e, BG_EFAIL, o->tmp, NULL, "write error");
    }
    if (rename(o->tmp, o->path) != 0) {
        int err = errno;
        remove(o->tmp);
        return bg_fail(e, BG_EFAIL, o->path, NULL, "cannot rename from %s: %s", o->tmp,
                       strerror(err));
    }
    return BG_OK;
}

static void out_abort(OutFile *o)
{
    if (o->f) fclose(o->f);
    o->f = NULL;
    remove(o->tmp);
}

static int file_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The data directory: the spec's, $BOGDA_DATA, ./input/data, or input/data beside the bin/
 * directory of the running program (bin/bogda -> ./input/data of the source tree). */
static int find_data_dir(const MakeCaseSpec *s, char *out, size_t n, BgErr *e)
{
    char cand[4][PATH_MAX];
    int nc = 0;
    if (s->data_dir[0]) {
        snprintf(cand[nc++], PATH_MAX, "%s", s->data_dir);
    } else {
        const char *env = getenv("BOGDA_DATA");
        if (env && *env) snprintf(cand[nc++], PATH_MAX, "%s", env);
        snprintf(cand[nc++], PATH_MAX, "input/data");
        char exe[PATH_MAX];
        ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (k > 0) {
            exe[k] = '\0';
            char *sl = strrchr(exe, '/');
            if (sl) {
                *sl = '\0';
                if (snprintf(cand[nc], PATH_MAX, "%s/../input/data", exe) < PATH_MAX) nc++;
                if (snprintf(cand[nc], PATH_MAX, "%s/../../input/data", exe) < PATH_MAX) nc++;
            }
        }
    }
    for (int i = 0; i < nc; i++) {
        char p[PATH_MAX];
        size_t L = strlen(cand[i]);
        if (L < n && path_join(p, sizeof p, cand[i], F_ETOPO) == 0 && file_exists(p)) {
            memcpy(out, cand[i], L + 1);
            return BG_OK;
        }
    }
    return bg_fail(e, BG_EINPUT, cand[0], F_ETOPO,
                   "the case's data files are not there (use --data DIR or BOGDA_DATA to point "
                   "at input/data)");
}

/* Splits a CSV line in place (double quotes protect commas).  Returns the field count. */
static int csv_split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    size_t L = strlen(p);
    while (L && (p[L - 1] == '\n' || p[L - 1] == '\r')) p[--L] = '\0';
    while (n < max) {
        if (*p == '"') {
            char *q = ++p, *w = p;
            while (*q && !(q[0] == '"' && q[1] != '"')) {
                if (q[0] == '"' && q[1] == '"') q++;
                *w++ = *q++;
            }
            f[n++] = p;
            if (*q == '"') q++;
            *w = '\0';
            if (*q != ',') break;
            p = q + 1;
        } else {
            f[n++] = p;
            char *c = strchr(p, ',');
            if (!c) break;
            *c = '\0';
            p = c + 1;
        }
    }
    return n;
}

/* ---------------------------------------------------------------- the domain test ---- */

typedef struct Domain {
    PJ_CONTEXT *ctx;
    PJ *P;
    double xmax, ymax;     /* half extents of the mass-point lattice, m */
} Domain;

/* The same Lambert conformal lattice as synthmet (parameters rounded to float as stored). */
static int domain_open(Domain *d, const SynthMetSpec *m, BgErr *e)
{
    memset(d, 0, sizeof *d);
    char pstr[512];
    snprintf(pstr, sizeof pstr,
             "+proj=lcc +lat_1=%.17g +lat_2=%.17g +lat_0=%.17g +lon_0=%.17g +x_0=0 +y_0=0 "
             "+R=%.1f +units=m +no_defs",
             (double)(float)m->truelat1, (double)(float)m->truelat2, (double)(float)m->cen_lat,
             (double)(float)m->stand_lon, MC_EARTH_R);
    d->ctx = proj_context_create();
    d->P = d->ctx ? proj_create(d->ctx, pstr) : NULL;
    if (!d->P) {
        if (d->ctx) proj_context_destroy(d->ctx);
        return bg_fail(e, BG_EFAIL, NULL, NULL, "makecase: PROJ refused '%s'", pstr);
    }
    double dx = (double)(float)m->dx_m;
    d->xmax = 0.5 * (m->nx - 1) * dx;
    d->ymax = 0.5 * (m->ny - 1) * dx;
    return BG_OK;
}

/* 1 if lon/lat lies within the lattice of mass points, with a margin of half a cell inside. */
static int domain_inside(const Domain *d, double lon, double lat, double margin_m)
{
    PJ_COORD c = proj_trans(d->P, PJ_FWD, proj_coord(proj_torad(lon), proj_torad(lat), 0, 0));
    if (!isfinite(c.xy.x) || !isfinite(c.xy.y)) return 0;
    return fabs(c.xy.x) <= d->xmax - margin_m && fabs(c.xy.y) <= d->ymax - margin_m;
}

static void domain_close(Domain *d)
{
    if (d->P) proj_destroy(d->P);
    if (d->ctx) proj_context_destroy(d->ctx);
    memset(d, 0, sizeof *d);
}

/* ---------------------------------------------------------------- cities and stations ---- */

static int load_cities(const char *datadir, City *cities, BgErr *e)
{
    char path[PATH_MAX];
    if (path_join(path, sizeof path, datadir, F_GEONAMES))
        return bg_fail(e, BG_ECONFIG, datadir, NULL, "path too long");
    FILE *f = fopen(path, "r");
    if (!f) return bg_fail(e, BG_EINPUT, path, NULL, "cannot open: %s", strerror(errno));
    for (int c = 0; c < NCITY; c++) {
        cities[c].lon = CITIES[c].lon;
        cities[c].lat = CITIES[c].lat;
        cities[c].pop = CITIES[c].census;
        cities[c].pop_src = CITIES[c].census_src;
    }
    int found[NCITY] = {0};
    char line[1024];
    int ln = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        if (ln == 1) {
            if (strncmp(line, "cityId,name,", 12) != 0) {
                fclose(f);
                return bg_fail(e, BG_EINPUT, path, "1", "unexpected header (GeoNames layout "
                               "cityId,name,altName,country,adminCode,featureCode,population,"
                               "lon,lat)");
            }
            continue;
        }
        char *fld[12];
        if (csv_split(line, fld, 12) < 9) continue;
        for (int c = 0; c < NCITY; c++) {
            if (!CITIES[c].geonames || strcmp(CITIES[c].geonames, fld[1]) != 0) continue;
            double pop = atof(fld[6]), lon = atof(fld[7]), lat = atof(fld[8]);
            if (!(lon > 70 && lon < 100 && lat > 35 && lat < 55)) continue;
            found[c] = 1;
            cities[c].lon = lon;
            cities[c].lat = lat;
            if (pop > 0) {
                cities[c].pop = pop;
                cities[c].pop_src = "GeoNames";
            }
        }
    }
    fclose(f);
    for (int c = 0; c < NCITY; c++) {
        if (CITIES[c].geonames && !found[c] && CITIES[c].census <= 0)
            return bg_fail(e, BG_EINPUT, path, CITIES[c].geonames,
                           "place missing from the GeoNames list");
        if (!(cities[c].pop > 0))
            return bg_fail(e, BG_EINPUT, path, CITIES[c].name, "no population for this city");
    }
    return BG_OK;
}

static int write_cities(const char *dir, const City *cities, BgErr *e)
{
    OutFile o;
    BG_TRY(out_open(&o, dir, "cities.csv", e));
    fprintf(o.f, "city,lon,lat,population\n");
    for (int c = 0; c < NCITY; c++)
        fprintf(o.f, "%s,%.5f,%.5f,%.0f\n", CITIES[c].name, cities[c].lon, cities[c].lat,
                cities[c].pop);
    return out_close(&o, e);
}

static int write_stations(const char *dir, const char *datadir, const Domain *dom, int *nout,
                          BgErr *e)
{
    char path[PATH_MAX];
    if (path_join(path, sizeof path, datadir, F_CNEMC))
        return bg_fail(e, BG_ECONFIG, datadir, NULL, "path too long");
    FILE *f = fopen(path, "r");
    if (!f) return bg_fail(e, BG_EINPUT, path, NULL, "cannot open: %s", strerror(errno));
    OutFile o;
    int rc = out_open(&o, dir, "stations.csv", e);
    if (rc != BG_OK) {
        fclose(f);
        return rc;
    }
    fprintf(o.f, "id,name,city,lon,lat\n");
    char line[1024];
    int ln = 0, n = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        char *fld[8];
        int nf = csv_split(line, fld, 8);
        if (ln == 1) {
            if (nf < 5 || strcmp(fld[0], "stationcode") || strcmp(fld[1], "longitude")) {
                rc = bg_fail(e, BG_EINPUT, path, "1", "unexpected header (CNEMC layout "
                             "stationcode,longitude,latitude,area,positionname)");
                break;
            }
            continue;
        }
        if (nf < 5) continue;
        char *end1, *end2;
        double lon = strtod(fld[1], &end1), lat = strtod(fld[2], &end2);
        if (end1 == fld[1] || end2 == fld[2]) {
            char where[32];
            snprintf(where, sizeof where, "%d", ln);
            rc = bg_fail(e, BG_EINPUT, path, where, "longitude or latitude is not a number");
            break;
        }
        /* a station must sit inside the grid with half a cell to spare */
        if (!domain_inside(dom, lon, lat, 0.0)) continue;
        const SiteName *sn = NULL;
        for (int s = 0; s < NSITE; s++)
            if (!strcmp(SITES[s].code, fld[0])) sn = &SITES[s];
        if (!sn) {
            char where[32];
            snprintf(where, sizeof where, "%d", ln);
            rc = bg_fail(e, BG_EINPUT, path, where,
                         "site %s lies in the domain but has no English name and city in "
                         "input/makecase.c", fld[0]);
            break;
        }
        for (char *p = fld[4]; *p; p++)
            if (*p == ',') *p = ';';
        fprintf(o.f, "%s,%s (%s),%s,%.4f,%.4f\n", fld[0], sn->name, fld[4], sn->city, lon, lat);
        n++;
    }
    fclose(f);
    if (rc != BG_OK) {
        out_abort(&o);
        return rc;
    }
    for (size_t x = 0; x < sizeof XSTATIONS / sizeof *XSTATIONS; x++) {
        fprintf(o.f, "%s,%s,%s,%.2f,%.2f\n", XSTATIONS[x].id, XSTATIONS[x].name, XSTATIONS[x].city,
                XSTATIONS[x].lon, XSTATIONS[x].lat);
        n++;
    }
    *nout = n;
    return out_close(&o, e);
}

/* ---------------------------------------------------------------- spatial proxies ---- */

/* Distance (km) between two points, equirectangular about their mean latitude (exact enough at
 * the < 200 km of every proxy). */
static double dist_km(double lon1, double lat1, double lon2, double lat2)
{
    double c = cos(0.5 * (lat1 + lat2) * M_PI / 180.0);
    return MC_KM_PER_DEG * hypot((lon1 - lon2) * c, lat1 - lat2);
}

/* Distance (km) from a point to a polyline. */
static double dist_road_km(double lon, double lat, const double (*v)[2], int n)
{
    double c = cos(lat * M_PI / 180.0), best = HUGE_VAL;
    for (int k = 0; k + 1 < n; k++) {
        double ax = (v[k][0] - lon) * c, ay = v[k][1] - lat;
        double bx = (v[k + 1][0] - lon) * c, by = v[k + 1][1] - lat;
        double dx = bx - ax, dy = by - ay, L2 = dx * dx + dy * dy;
        double t = L2 > 0 ? -(ax * dx + ay * dy) / L2 : 0.0;
        t = t < 0 ? 0 : (t > 1 ? 1 : t);
        double d = hypot(ax + t * dx, ay + t * dy);
        if (d < best) best = d;
    }
    return best * MC_KM_PER_DEG;
}

/* A Gaussian of width sigma cut at 4 sigma, so that the inventory is zero away from sources. */
static double gauss(double d, double sigma)
{
    double r = d / sigma;
    return r < 4.0 ? exp(-0.5 * r * r) : 0.0;
}

static double cell_lon(int i) { return INV_LON0 + (i + 0.5) * INV_D; }
static double cell_lat(int j) { return INV_LAT0 + (j + 0.5) * INV_D; }

/* w[n] += share * f / sum(f) for a non-negative field f (nothing if f is all zero). */
static void add_normalised(double *w, const double *f, size_t n, double share)
{
    double s = 0.0;
    for (size_t q = 0; q < n; q++) s += f[q];
    if (!(s > 0.0)) return;
    for (size_t q = 0; q < n; q++) w[q] += share * f[q] / s;
}

/* Adds a Gaussian site holding `amount` (its own integral over the grid) to f. */
static void add_site(double *f, double *tmp, double lon, double lat, double sigma, double amount)
{
    const size_t n = (size_t)INV_NLON * INV_NLAT;
    for (int j = 0; j < INV_NLAT; j++)
        for (int i = 0; i < INV_NLON; i++)
            tmp[(size_t)j * INV_NLON + i] =
                gauss(dist_km(cell_lon(i), cell_lat(j), lon, lat), sigma);
    double s = 0.0;
    for (size_t q = 0; q < n; q++) s += tmp[q];
    if (!(s > 0.0)) return;
    for (size_t q = 0; q < n; q++) f[q] += amount * tmp[q] / s;
}

/* The normalised spatial weights of every sector, [MC_NSECTOR][nlat*nlon], each summing to 1. */
static int build_weights(const City *cities, const SynthRelief *rel, double *W, BgErr *e)
{
    const size_t n = (size_t)INV_NLON * INV_NLAT;
    double *pop = calloc(n, sizeof *pop), *road = calloc(n, sizeof *road);
    double *farm = calloc(n, sizeof *farm), *tmp = calloc(n, sizeof *tmp);
    double *park = calloc(n, sizeof *park);
    if (!pop || !road || !farm || !tmp || !park) {
        free(pop); free(road); free(farm); free(tmp); free(park);
        return bg_fail(e, BG_EFAIL, NULL, NULL, "makecase: out of memory");
    }
    /* population: a Gaussian per town, wider for larger towns (sigma 2-8 km) */
    for (int c = 0; c < NCITY; c++) {
        if (!CITIES[c].in_region) continue;
        double p = cities[c].pop;
        if (!strcmp(CITIES[c].name, "Urumqi")) {
            add_site(pop, tmp, MIDONG_LON, MIDONG_LAT, 4.0, MIDONG_SHARE * p);
            p *= 1.0 - MIDONG_SHARE;
        }
        add_site(pop, tmp, cities[c].lon, cities[c].lat, 2.0 + 6.0 * sqrt(p / 3.0e6), p);
    }
    add_site(pop, tmp, BAIJIANTAN_LON, BAIJIANTAN_LAT, 2.0 + 6.0 * sqrt(BAIJIANTAN_POP / 3.0e6),
             BAIJIANTAN_POP);
    /* roads, and farmland: the oasis belt along G30 between 250 and ~1000 m */
    for (int j = 0; j < INV_NLAT; j++)
        for (int i = 0; i < INV_NLON; i++) {
            size_t q = (size_t)j * INV_NLON + i;
            double lon = cell_lon(i), lat = cell_lat(j), dmin = HUGE_VAL;
            for (int r = 0; r < NROAD; r++) {
                double d = dist_road_km(lon, lat, ROADS[r].v, ROADS[r].n);
                if (d < dmin) dmin = d;
            }
            road[q] = gauss(dmin, ROAD_SIGMA_KM);
            double dg = dist_road_km(lon, lat, G30, 10), h;
            if (synthmet_relief_at(rel, lon, lat, &h) != 0) h = 0.0;
            double hm = h <= 250.0 ? 0.0 : h < 900.0 ? 1.0 : h < 1100.0 ? (1100.0 - h) / 200.0
                                                                        : 0.0;
            double r = dg / FARM_SCALE_KM;
            farm[q] = r < 3.0 ? exp(-r * r) * hm : 0.0;
        }
    memset(W, 0, (size_t)MC_NSECTOR * n * sizeof *W);
    for (int s = S_POWER; s <= S_OTHERIND; s++) {
        memset(park, 0, n * sizeof *park);
        for (int p = 0; p < NPARK; p++)
            if (PARKS[p].w[s] > 0)
                add_site(park, tmp, PARKS[p].lon, PARKS[p].lat, PARK_SIGMA_KM, PARKS[p].w[s]);
        /* small boilers and heat plants follow the towns as much as the parks */
        double *Ws = W + (size_t)s * n;
        if (s == S_POWER) {
            add_normalised(Ws, pop, n, 0.5);
            add_normalised(Ws, park, n, 0.5);
        } else {
            add_normalised(Ws, park, n, 1.0);
        }
    }
    add_normalised(W + (size_t)S_RESID * n, pop, n, 0.8);   /* towns */
    add_normalised(W + (size_t)S_RESID * n, farm, n, 0.2);  /* villages of the oasis belt */
    add_normalised(W + (size_t)S_TRH * n, road, n, 0.65);
    add_normalised(W + (size_t)S_TRH * n, pop, n, 0.35);
    add_normalised(W + (size_t)S_TRL * n, road, n, 0.35);
    add_normalised(W + (size_t)S_TRL * n, pop, n, 0.65);
    add_normalised(W + (size_t)S_AGRI * n, farm, n, 1.0);
    add_normalised(W + (size_t)S_OTHER * n, pop, n, 0.7);
    add_normalised(W + (size_t)S_OTHER * n, road, n, 0.3);
    free(pop); free(road); free(farm); free(tmp); free(park);
    /* renormalise so that each field sums to 1 as accurately as doubles allow */
    for (int s = 0; s < MC_NSECTOR; s++) {
        double *Ws = W + (size_t)s * n, sum = 0.0;
        for (size_t q = 0; q < n; q++) sum += Ws[q];
        if (!(sum > 0.0))
            return bg_fail(e, BG_EFAIL, NULL, SECTORS[s], "makecase: empty spatial proxy");
        for (size_t q = 0; q < n; q++) Ws[q] /= sum;
    }
    return BG_OK;
}

/* Fractions of the annual total per calendar month (sum 1). */
static void month_fractions(int s, double *frac)
{
    double sum = 0.0;
    for (int m = 0; m < 12; m++) sum += MONTHLY[s][m] * MONTH_DAYS[m];
    for (int m = 0; m < 12; m++) frac[m] = MONTHLY[s][m] * MONTH_DAYS[m] / sum;
}

/* ---------------------------------------------------------------- inventory NetCDF ---- */

#define NCT(call)                                                                                 \
    do {                                                                                          \
        int nc_s_ = (call);                                                                       \
        if (nc_s_ != NC_NOERR) {                                                                  \
            rc = bg_fail(e, BG_EFAIL, tmp, NULL, "%s", nc_strerror(nc_s_));                       \
            goto done;                                                                            \
        }                                                                                         \
    } while (0)

static int text_att(int nc, int v, const char *name, const char *val)
{
    return nc_put_att_text(nc, v, name, strlen(val), val);
}

static int write_inventory(const char *dir, const double *W, BgErr *e)
{
    const size_t n = (size_t)INV_NLON * INV_NLAT;
    char tmp[PATH_MAX], path[PATH_MAX];
    if (path_join(tmp, sizeof tmp, dir, ".inventory.nc.tmp") ||
        path_join(path, sizeof path, dir, "inventory.nc"))
        return bg_fail(e, BG_ECONFIG, dir, NULL, "path too long");
    int rc = BG_OK, nc = -1;
    double *buf = malloc((size_t)MC_NSECTOR * 12 * n * sizeof *buf);
    if (!buf) return bg_fail(e, BG_EFAIL, NULL, NULL, "makecase: out of memory");
    int d_lon, d_lat, d_nv, d_sec, d_mon, v_lon, v_lat, v_lonb, v_latb, v_sec, v_mon;
    int v_sp[MC_NSPEC];
    NCT(nc_create(tmp, NC_CLOBBER | NC_NETCDF4, &nc));
    NCT(nc_def_dim(nc, "lon", INV_NLON, &d_lon));
    NCT(nc_def_dim(nc, "lat", INV_NLAT, &d_lat));
    NCT(nc_def_dim(nc, "nv", 2, &d_nv));
    NCT(nc_def_dim(nc, "sector", MC_NSECTOR, &d_sec));
    NCT(nc_def_dim(nc, "month", 12, &d_mon));
    NCT(nc_def_var(nc, "lon", NC_DOUBLE, 1, &d_lon, &v_lon));
    NCT(text_att(nc, v_lon, "standard_name", "longitude"));
    NCT(text_att(nc, v_lon, "long_name", "longitude of the cell centre"));
    NCT(text_att(nc, v_lon, "units", "degrees_east"));
    NCT(text_att(nc, v_lon, "bounds", "lon_bnds"));
    NCT(nc_def_var(nc, "lat", NC_DOUBLE, 1, &d_lat, &v_lat));
    NCT(text_att(nc, v_lat, "standard_name", "latitude"));
    NCT(text_att(nc, v_lat, "long_name", "latitude of the cell centre"));
    NCT(text_att(nc, v_lat, "units", "degrees_north"));
    NCT(text_att(nc, v_lat, "bounds", "lat_bnds"));
    int dlb[2] = {d_lon, d_nv}, dab[2] = {d_lat, d_nv};
    NCT(nc_def_var(nc, "lon_bnds", NC_DOUBLE, 2, dlb, &v_lonb));
    NCT(nc_def_var(nc, "lat_bnds", NC_DOUBLE, 2, dab, &v_latb));
    NCT(nc_def_var(nc, "sector", NC_STRING, 1, &d_sec, &v_sec));
    NCT(text_att(nc, v_sec, "long_name", "emission sector"));
    NCT(nc_def_var(nc, "month", NC_INT, 1, &d_mon, &v_mon));
    NCT(text_att(nc, v_mon, "long_name", "month of the year (1 = January)"));
    NCT(text_att(nc, v_mon, "units", "1"));
    int dims[4] = {d_sec, d_mon, d_lat, d_lon};
    size_t chunk[4] = {1, 1, INV_NLAT, INV_NLON};
    for (int sp = 0; sp < MC_NSPEC; sp++) {
        NCT(nc_def_var(nc, SPECIES[sp], NC_DOUBLE, 4, dims, &v_sp[sp]));
        NCT(nc_def_var_chunking(nc, v_sp[sp], NC_CHUNKED, chunk));
        /* mostly zeros away from the sources: level-1 deflate shrinks the file ~10x for little
         * time */
        NCT(nc_def_var_deflate(nc, v_sp[sp], 1, 1, 1));
        NCT(text_att(nc, v_sp[sp], "long_name", SPECIES_LONG[sp]));
        NCT(text_att(nc, v_sp[sp], "units", "Mg/month"));
        NCT(text_att(nc, v_sp[sp], "cell_methods", "area: sum"));
        if (sp == 1) NCT(text_att(nc, v_sp[sp], "comment", "NOx expressed as NO2 mass"));
    }
    NCT(text_att(nc, NC_GLOBAL, "Conventions", "CF-1.8"));
    NCT(text_att(nc, NC_GLOBAL, "title",
                 "Bogda embedded northern-Tianshan case: anthropogenic emissions per cell and "
                 "calendar month (MEIC-like layout)"));
    NCT(text_att(nc, NC_GLOBAL, "source",
                 "bogda makecase: regional annual totals by sector and species (estimates around "
                 "2017, input/README.md) distributed with spatial proxies; point-source shares of "
                 "the industrial sectors are in points.csv, not here"));
    NCT(text_att(nc, NC_GLOBAL, "calendar_note",
                 "amounts per calendar month of a non-leap year; the monthly cycle (heating "
                 "season) is in these values, so profiles.csv month rows are flat"));
    {
        double lon[INV_NLON], lat[INV_NLAT], lonb[INV_NLON][2], latb[INV_NLAT][2];
        for (int i = 0; i < INV_NLON; i++) {
            lon[i] = cell_lon(i);
            lonb[i][0] = INV_LON0 + i * INV_D;
            lonb[i][1] = INV_LON0 + (i + 1) * INV_D;
        }
        for (int j = 0; j < INV_NLAT; j++) {
            lat[j] = cell_lat(j);
            latb[j][0] = INV_LAT0 + j * INV_D;
            latb[j][1] = INV_LAT0 + (j + 1) * INV_D;
        }
        int mon[12];
        for (int m = 0; m < 12; m++) mon[m] = m + 1;
        NCT(nc_put_var_double(nc, v_lon, lon));
        NCT(nc_put_var_double(nc, v_lat, lat));
        NCT(nc_put_var_double(nc, v_lonb, &lonb[0][0]));
        NCT(nc_put_var_double(nc, v_latb, &latb[0][0]));
        NCT(nc_put_var_int(nc, v_mon, mon));
        const char *secs[MC_NSECTOR];
        for (int s = 0; s < MC_NSECTOR; s++) secs[s] = SECTORS[s];
        NCT(nc_put_var_string(nc, v_sec, secs));
    }
    for (int sp = 0; sp < MC_NSPEC; sp++) {
        for (int s = 0; s < MC_NSECTOR; s++) {
            double frac[12], grid_t = TOTALS[s][sp] * (1.0 - POINT_SHARE[s]);
            month_fractions(s, frac);
            const double *Ws = W + (size_t)s * n;
            for (int m = 0; m < 12; m++) {
                double *o = buf + ((size_t)s * 12 + m) * n;
                for (size_t q = 0; q < n; q++) o[q] = grid_t * frac[m] * Ws[q];
            }
        }
        NCT(nc_put_var_double(nc, v_sp[sp], buf));
    }
    int st = nc_close(nc);
    nc = -1;
    if (st != NC_NOERR) {
        rc = bg_fail(e, BG_EFAIL, tmp, NULL, "%s", nc_strerror(st));
        goto done;
    }
    if (rename(tmp, path) != 0)
        rc = bg_fail(e, BG_EFAIL, path, NULL, "cannot rename from %s: %s", tmp, strerror(errno));
done:
    if (nc >= 0) nc_close(nc);
    if (rc != BG_OK) remove(tmp);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------- points, totals ---- */

/* t/yr of species sp emitted by point p. */
static double point_t(int p, int sp)
{
    int s = POINTS[p].sector;
    double wsum = 0.0;
    for (int k = 0; k < NPOINT; k++)
        if (POINTS[k].sector == s) wsum += POINTS[k].w;
    return TOTALS[s][sp] * POINT_SHARE[s] * POINTS[p].w / wsum;
}

static int write_points(const char *dir, BgErr *e)
{
    OutFile o;
    BG_TRY(out_open(&o, dir, "points.csv", e));
    fprintf(o.f, "id,name,lon,lat,sector,height_m,diameter_m,velocity_m_s,temperature_k,SO2,NOx,"
                 "NH3,VOC,CO,PM25,PM10,BC,OC\n");
    for (int p = 0; p < NPOINT; p++) {
        const double *st = STACK[POINTS[p].sector];
        fprintf(o.f, "%s,%s,%.4f,%.4f,%s,%.0f,%.1f,%.1f,%.1f", POINTS[p].id, POINTS[p].name,
                POINTS[p].lon, POINTS[p].lat, SECTORS[POINTS[p].sector], st[0], st[1], st[2],
                st[3]);
        for (int sp = 0; sp < MC_NSPEC; sp++) fprintf(o.f, ",%.12g", point_t(p, sp));
        fprintf(o.f, "\n");
    }
    return out_close(&o, e);
}

static int write_totals(const char *dir, BgErr *e)
{
    OutFile o;
    BG_TRY(out_open(&o, dir, "inventory_totals.csv", e));
    fprintf(o.f, "sector,species,total_t_yr,points_t_yr,gridded_t_yr\n");
    for (int s = 0; s < MC_NSECTOR; s++)
        for (int sp = 0; sp < MC_NSPEC; sp++) {
            double pt = 0.0;
            for (int p = 0; p < NPOINT; p++)
                if (POINTS[p].sector == s) pt += point_t(p, sp);
            fprintf(o.f, "%s,%s,%.12g,%.12g,%.12g\n", SECTORS[s], SPECIES[sp], TOTALS[s][sp], pt,
                    TOTALS[s][sp] * (1.0 - POINT_SHARE[s]));
        }
    return out_close(&o, e);
}

/* ---------------------------------------------------------------- profiles ---- */

/* Weekday (Monday first) and hour-of-day (local time, timezone_offset_h = 6, Xinjiang time)
 * shapes for the heating season; normalised to mean 1 when written. */
static const double WEEKDAY[MC_NSECTOR][7] = {
    {1, 1, 1, 1, 1, 1, 1},
    {1, 1, 1, 1, 1, 1, 1},
    {1, 1, 1, 1, 1, 1, 1},
    {1, 1, 1, 1, 1, 1, 1},
    {1, 1, 1, 1, 1, 1, 1},
    {1, 1, 1, 1, 1, 1, 1},
    {1.05, 1.05, 1.05, 1.05, 1.05, 0.95, 0.80},
    {0.98, 0.98, 0.98, 0.98, 0.98, 1.03, 1.07},
    {1.05, 1.05, 1.05, 1.05, 1.05, 0.93, 0.82},
    {1.02, 1.02, 1.02, 1.02, 1.05, 0.97, 0.90},
    {1, 1, 1, 1, 1, 1, 1},
    {1.05, 1.05, 1.05, 1.05, 1.05, 0.95, 0.80},
};

static const double HOURLY[MC_NSECTOR][24] = {
    /* power: load follows demand, lowest before dawn */
    {0.85, 0.83, 0.82, 0.82, 0.83, 0.87, 0.95, 1.03, 1.08, 1.10, 1.10, 1.10,
     1.08, 1.07, 1.07, 1.08, 1.10, 1.13, 1.15, 1.13, 1.08, 1.02, 0.95, 0.89},
    /* steel, cement, coke, petrochemical, coal chemistry: continuous processes */
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    /* other industry: day shifts */
    {0.60, 0.60, 0.60, 0.60, 0.60, 0.65, 0.80, 1.00, 1.30, 1.35, 1.35, 1.35,
     1.25, 1.30, 1.35, 1.35, 1.30, 1.20, 1.10, 0.95, 0.85, 0.75, 0.70, 0.65},
    /* residential heating and cooking: morning and evening stoking */
    {0.75, 0.70, 0.65, 0.65, 0.70, 0.85, 1.10, 1.35, 1.40, 1.20, 1.00, 0.95,
     1.05, 0.95, 0.85, 0.85, 0.95, 1.15, 1.35, 1.45, 1.40, 1.25, 1.00, 0.85},
    /* heavy trucks: more at night (daytime restrictions in the towns) */
    {1.30, 1.30, 1.25, 1.20, 1.15, 1.10, 1.00, 0.90, 0.85, 0.90, 0.95, 0.95,
     0.95, 0.95, 0.95, 0.95, 0.90, 0.85, 0.85, 0.95, 1.05, 1.10, 1.20, 1.25},
    /* light vehicles: morning and evening rush hours */
    {0.25, 0.15, 0.10, 0.10, 0.15, 0.35, 0.80, 1.60, 1.90, 1.50, 1.30, 1.30,
     1.35, 1.30, 1.30, 1.35, 1.50, 1.80, 1.90, 1.50, 1.20, 0.95, 0.70, 0.45},
    /* agriculture: NH3 volatilisation follows the afternoon warmth */
    {0.60, 0.60, 0.60, 0.60, 0.60, 0.65, 0.75, 0.90, 1.10, 1.30, 1.50, 1.60,
     1.65, 1.65, 1.60, 1.50, 1.30, 1.10, 0.90, 0.80, 0.70, 0.65, 0.60, 0.60},
    /* other (solvents, construction, dust): daytime */
    {0.70, 0.65, 0.65, 0.65, 0.65, 0.70, 0.85, 1.05, 1.25, 1.30, 1.30, 1.30,
     1.25, 1.25, 1.30, 1.30, 1.25, 1.15, 1.05, 0.95, 0.85, 0.80, 0.75, 0.70},
};

/* Writes n values scaled to mean exactly 1 in the 6 printed decimals: integer micro-units, the
 * rounding residual added to the largest value. */
static void put_profile(FILE *f, const char *sector, const char *kind, const double *v, int n)
{
    long u[24], sum = 0;
    double mean = 0.0;
    for (int i = 0; i < n; i++) mean += v[i] / n;
    int imax = 0;
    for (int i = 0; i < n; i++) {
        u[i] = lround(v[i] / mean * 1e6);
        sum += u[i];
        if (u[i] > u[imax]) imax = i;
    }
    u[imax] += (long)n * 1000000L - sum;
    fprintf(f, "%s,%s", sector, kind);
    for (int i = 0; i < n; i++) fprintf(f, ",%ld.%06ld", u[i] / 1000000L, u[i] % 1000000L);
    fprintf(f, "\n");
}

static int write_profiles(const char *dir, BgErr *e)
{
    OutFile o;
    BG_TRY(out_open(&o, dir, "profiles.csv", e));
    fprintf(o.f, "sector,kind,v1,v2,v3,v4,v5,v6,v7,v8,v9,v10,v11,v12,v13,v14,v15,v16,v17,v18,"
                 "v19,v20,v21,v22,v23,v24\n");
    static const double flat[12] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    for (int s = 0; s < MC_NSECTOR; s++) {
        /* the monthly cycle is in inventory.nc; a month profile here would count it twice */
        put_profile(o.f, SECTORS[s], "month", flat, 12);
        put_profile(o.f, SECTORS[s], "weekday", WEEKDAY[s], 7);
        put_profile(o.f, SECTORS[s], "hour", HOURLY[s], 24);
    }
    return out_close(&o, e);
}

/* ---------------------------------------------------------------- configuration ---- */

static int write_config(const MakeCaseSpec *s, const char *dir, const char *ini, const char *met,
                        const SynthMetSpec *m, BgErr *e)
{
    OutFile o;
    BG_TRY(out_open(&o, dir, ini, e));
    FILE *f = o.f;
    char start[40];
    double t0;
    time_parse(m->start, &t0);
    time_format(t0, start, (int)sizeof start);
    int is_bench = s->resolution_km == 4.0;
    int hours = is_bench ? 24 : s->days * 24;
    fprintf(f, "; Bogda embedded northern-Tianshan winter case, %g km (%d x %d x %d), written by\n"
               "; `bogda makecase` (docs/makecase.md; the case and its sources: input/README.md).\n"
               "; A %d-day stagnation episode from %s cleared by a cold front on the last day.\n",
            s->resolution_km, m->nx, m->ny, m->nz, s->days, start);
    if (is_bench)
        fprintf(f, "; The benchmark configuration: the first day of the episode (make bench).\n");
    fprintf(f, "; Check it with `bogda check %s`; paths are relative to this file.\n\n", ini);
    char outname[64];
    if (is_bench) snprintf(outname, sizeof outname, "bench");
    else if (s->resolution_km == 12.0) snprintf(outname, sizeof outname, "demo");
    else snprintf(outname, sizeof outname, "%gkm", s->resolution_km);
    fprintf(f, "[run]\nstart = %s\nhours = %d\nspinup_h = 0\noutput_dir = output_%s\n"
               "sync_step_s = 300\nthreads = 0\ncheckpoint_h = 24\n\n",
            start, hours, outname);
    fprintf(f, "[met]\nfiles = %s/wrfout_d01_*\n\n", met);
    fprintf(f, "[emissions]\ninventory = inventory.nc\npoints = points.csv\n"
               "profiles = profiles.csv\n"
               "; hour profiles are in Xinjiang time (UTC+6), which local life follows\n"
               "timezone_offset_h = 6\n\n");
    fprintf(f, "[processes]\nadvection = on\ndiffusion = on\nemissions = on\nchemistry = on\n"
               "aerosol = on\ndrydep = on\nwetdep = on\n\n");
    fprintf(f, "[advection]\nscheme = ppm\ncfl_max = 0.9\n\n");
    fprintf(f, "; a low floor keeps the cold pool intact (DESIGN 4.1)\n"
               "[diffusion]\nkz_min = 0.1\n\n");
    /* Winter background of remote Central Asia: surface O3 30-40 ppb rising aloft (Waliguan and
     * Akedala GAW records, e.g. Xu et al. 2016, ACP 16, 6191), CO ~150 ppb (NOAA GMD flask
     * network, northern mid-latitude winter), a few ug m-3 of aged secondary and dust aerosol.
     * Typical values, stated as such in docs/makecase.md. */
    static const char *bg =
        "; regional winter background (docs/makecase.md): gases in ppb, aerosol in ug m-3\n"
        "constant.CO = 150\nconstant.NO2 = 0.5\nconstant.NO = 0.1\nconstant.SO2 = 0.5\n"
        "constant.NH3 = 1\nconstant.HNO3 = 0.1\nconstant.ROC = 10\n"
        "profile.O3 = 0 35, 2000 45, 8000 60\n"
        "constant.PSO4 = 1\nconstant.PNO3 = 0.5\nconstant.PNH4 = 0.5\nconstant.POC = 1\n"
        "constant.PBC = 0.2\nconstant.PPM = 1\nconstant.PMC = 2\n\n";
    fprintf(f, "[init]\n%s[boundary]\n%s", bg, bg);
    fprintf(f, "[output]\ninterval_h = 1\nlayers = surface\naverage = on\n\n");
    fprintf(f, "[stations]\nfile = stations.csv\n\n[cities]\nfile = cities.csv\n\n");
    fprintf(f, "; the Urumqi-Changji-Shihezi-Wujiaqu cluster (the official Wu-Chang-Shi region)\n"
               "[region Urumqi-Changji-Shihezi-Wujiaqu]\n"
               "polygon = 85.80 44.10, 85.80 44.45, 86.60 44.42, 87.40 44.38, 88.25 44.32, "
               "88.25 43.62, 87.40 43.58, 87.00 43.85, 86.40 44.02\n"
               "cities = Urumqi, Changji, Shihezi, Wujiaqu\n\n");
    fprintf(f, "; the Kuitun-Dushanzi-Wusu cluster: 25 km around its centre\n"
               "[region Kuitun-Dushanzi-Wusu]\ncircle = 84.81 44.40 25\n"
               "cities = Kuitun, Dushanzi, Wusu\n\n");
    /* The measures of the regional plan as `bogda batch` scenarios.  The factors and costs are
     * planning assumptions, stated in the file and in docs/batch.md, not evaluated programmes. */
    char w0[40], w1[40];
    time_format(t0 + 12 * 3600.0, w0, (int)sizeof w0); /* the warning takes effect at noon UTC of day 1 */
    time_format(t0 + (s->days > 2 ? s->days - 1 : 2) * 24 * 3600.0, w1, (int)sizeof w1);
    fprintf(f, "; ---- scenarios of the regional plan for `bogda batch` (docs/batch.md) ----\n"
               "; Factors multiply the inventory (0.4 = a 60 %% cut); costs are order-of-magnitude\n"
               "; planning assumptions in million CNY, for the cost-effectiveness columns only.\n"
               "[batch]\nmembers_per_process = 0\nrank_by = d_pwm_PM25\n\n"
               "[scenario clean_heating]\n"
               "description = coal-to-electricity/gas heating in Urumqi-Changji-Shihezi-Wujiaqu: 60 %% of the\n"
               "  remaining household and small-boiler coal replaced (gas heating keeps some NOx and CO)\n"
               "cost_million_cny = 3000\n"
               "control = residential SO2,PM,CO Urumqi-Changji-Shihezi-Wujiaqu 0.4\n"
               "control = residential VOC Urumqi-Changji-Shihezi-Wujiaqu 0.5\n"
               "control = residential NOx Urumqi-Changji-Shihezi-Wujiaqu 0.8\n\n"
               "[scenario ule_industry]\n"
               "description = ultra-low-emission retrofit of steel, cement and coke (MEE 2019 steel ULE limits\n"
               "  10/35/50 mg m-3 PM/SO2/NOx against typical current 20-30/100-200/150-300)\n"
               "cost_million_cny = 1500\n"
               "control = steel,cement,coke SO2 * 0.4\n"
               "control = steel,cement,coke NOx * 0.35\n"
               "control = steel,cement,coke PM * 0.5\n\n"
               "[scenario production_curbs]\n"
               "description = seasonal (winter) production curbs: cement clinker kilns idle, steel and coke at 80 %%\n"
               "cost_million_cny = 800\n"
               "control = cement * * 0.3\n"
               "control = steel,coke * * 0.8\n\n"
               "[scenario road_to_rail]\n"
               "description = 30 %% of heavy diesel road freight moved to electrified rail\n"
               "cost_million_cny = 1200\n"
               "control = transport_heavy * * 0.7\n\n"
               "[scenario agri_ammonia]\n"
               "description = 30 %% less agricultural NH3 (deep fertiliser placement, covered manure storage)\n"
               "cost_million_cny = 200\n"
               "control = agriculture NH3 * 0.7\n\n"
               "[scenario emergency_orange]\n"
               "description = orange-warning emergency cuts (20 %% of SO2, NOx, PM and VOC in every sector)\n"
               "  during the stagnation, from noon UTC of its first day\n"
               "cost_million_cny = 400\n"
               "control = * SO2,NOx,PM,VOC * 0.8 %s/%s\n\n"
               "[scenario ule_power]\n"
               "description = the remaining coal power and heat plants to ultra-low emission (35/50/10 mg m-3)\n"
               "cost_million_cny = 600\n"
               "control = power SO2 * 0.5\n"
               "control = power NOx * 0.6\n"
               "control = power PM * 0.5\n",
            w0, w1);
    return out_close(&o, e);
}

/* ---------------------------------------------------------------- the case ---- */

/* Removes earlier wrfout_d01_* files so that a shorter episode leaves no stale records. */
static int clean_met_dir(const char *met, BgErr *e)
{
    DIR *d = opendir(met);
    if (!d) return BG_OK;
    struct dirent *de;
    int rc = BG_OK;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, "wrfout_d01_", 11) != 0) continue;
        char p[PATH_MAX];
        if (path_join(p, sizeof p, met, de->d_name) == 0 && remove(p) != 0) {
            rc = bg_fail(e, BG_EFAIL, p, NULL, "cannot remove the earlier file: %s",
                         strerror(errno));
            break;
        }
    }
    closedir(d);
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct McReport {
    int nx, ny, nz, nmet, nstations;
    double t_met, t_inv, t_total;
    char ini[64], met[64];
} McReport;

static int makecase_run(const MakeCaseSpec *s, McReport *rep, BgErr *e)
{
    double t0 = now_s(), tstart;
    BG_TRY(check_spec(s, &tstart, e));
    char datadir[PATH_MAX], etopo[PATH_MAX];
    BG_TRY(find_data_dir(s, datadir, sizeof datadir, e));
    if (path_join(etopo, sizeof etopo, datadir, F_ETOPO))
        return bg_fail(e, BG_ECONFIG, datadir, NULL, "path too long");
    SynthMetSpec m;
    BG_TRY(makecase_met_spec(s, etopo, &m, e));
    BG_TRY(mkdir_p(s->dir, e));
    makecase_names(s->resolution_km, rep->ini, sizeof rep->ini, rep->met, sizeof rep->met);
    rep->nx = m.nx;
    rep->ny = m.ny;
    rep->nz = m.nz;

    /* the small files first: a bad data file fails before the long met write */
    City cities[NCITY];
    BG_TRY(load_cities(datadir, cities, e));
    Domain dom;
    BG_TRY(domain_open(&dom, &m, e));
    int rc = BG_OK;
    for (int p = 0; p < NPOINT && rc == BG_OK; p++)
        if (!domain_inside(&dom, POINTS[p].lon, POINTS[p].lat, m.dx_m))
            rc = bg_fail(e, BG_EFAIL, NULL, POINTS[p].id, "makecase: point source outside the "
                         "%g-km domain", s->resolution_km);
    for (int c = 0; c < 4 && rc == BG_OK; c++) {
        double lon = INV_LON0 + (c & 1) * INV_NLON * INV_D;
        double lat = INV_LAT0 + (c >> 1) * INV_NLAT * INV_D;
        if (!domain_inside(&dom, lon, lat, 0.0))
            rc = bg_fail(e, BG_EFAIL, NULL, NULL, "makecase: inventory corner %.2f E %.2f N "
                         "outside the %g-km domain", lon, lat, s->resolution_km);
    }
    if (rc == BG_OK) rc = write_stations(s->dir, datadir, &dom, &rep->nstations, e);
    domain_close(&dom);
    BG_TRY(rc);
    BG_TRY(write_cities(s->dir, cities, e));
    BG_TRY(write_points(s->dir, e));
    BG_TRY(write_totals(s->dir, e));
    BG_TRY(write_profiles(s->dir, e));

    double t1 = now_s();
    SynthRelief rel;
    BG_TRY(synthmet_relief_load(&rel, etopo, NULL, e));
    double *W = malloc((size_t)MC_NSECTOR * INV_NLON * INV_NLAT * sizeof *W);
    if (!W) {
        synthmet_relief_free(&rel);
        return bg_fail(e, BG_EFAIL, NULL, NULL, "makecase: out of memory");
    }
    rc = build_weights(cities, &rel, W, e);
    synthmet_relief_free(&rel);
    if (rc == BG_OK) rc = write_inventory(s->dir, W, e);
    free(W);
    BG_TRY(rc);
    rep->t_inv = now_s() - t1;

    double t2 = now_s();
    char metdir[PATH_MAX];
    if (path_join(metdir, sizeof metdir, s->dir, rep->met))
        return bg_fail(e, BG_ECONFIG, s->dir, NULL, "path too long");
    BG_TRY(clean_met_dir(metdir, e));
    BG_TRY(synthmet_write(&m, metdir, NULL, NULL, e));
    rep->nmet = (m.nrec + m.rec_per_file - 1) / m.rec_per_file;
    rep->t_met = now_s() - t2;
    BG_TRY(write_config(s, s->dir, rep->ini, rep->met, &m, e));
    rep->t_total = now_s() - t0;
    return BG_OK;
}

int makecase_write(const MakeCaseSpec *s, BgErr *e)
{
    McReport rep;
    memset(&rep, 0, sizeof rep);
    return makecase_run(s, &rep, e);
}

/* ---------------------------------------------------------------- command line ---- */

static const char USAGE[] =
    "usage: bogda makecase DIR [--resolution KM] [--days N] [--start DATE] [--interval H]\n"
    "                          [--data DIR]\n"
    "Writes the embedded northern-Tianshan winter case into DIR: WRF-format meteorology of a\n"
    "stagnation episode cleared by a cold front (met_<KM>km/), the emission inventory\n"
    "(inventory.nc, inventory_totals.csv), point sources (points.csv), temporal profiles\n"
    "(profiles.csv), stations.csv, cities.csv and a configuration: demo.ini at 12 km,\n"
    "bench.ini at 4 km (the benchmark grid), case_<KM>km.ini otherwise.\n"
    "  --resolution KM   grid spacing, km, 2..30                          [12]\n"
    "  --days N          episode length, days, 1..30; the front comes on the last day  [4]\n"
    "  --start DATE      first record, ISO-8601 (UTC unless an offset is given)\n"
    "                                                        [2024-01-10T00:00:00Z]\n"
    "  --interval H      met record interval, h, dividing 24 (e.g. 1 or 3)  [1]\n"
    "  --data DIR        the case's real data (ETOPO5, CNEMC sites, GeoNames)\n"
    "                    [$BOGDA_DATA, else ./input/data, else input/data beside bin/]\n"
    "  --help            this text\n";

static int parse_num(const char *s, double *v)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(d)) return -1;
    *v = d;
    return 0;
}

int makecase_main(int argc, char **argv, BgErr *e)
{
    MakeCaseSpec s;
    makecase_defaults(&s);
    const char *dir = NULL;
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(USAGE, stdout);
            return BG_OK;
        }
        if (strncmp(arg, "--", 2) != 0 || !arg[2]) {
            if (dir)
                return bg_fail(e, BG_ECONFIG, NULL, NULL,
                               "makecase: unexpected argument '%s' (DIR is already '%s')", arg,
                               dir);
            dir = arg;
            continue;
        }
        char name[32];
        const char *eq = strchr(arg, '='), *val;
        size_t nl = eq ? (size_t)(eq - arg) : strlen(arg);
        if (nl >= sizeof name)
            return bg_fail(e, BG_ECONFIG, NULL, NULL, "makecase: unknown option '%.40s'", arg);
        memcpy(name, arg, nl);
        name[nl] = '\0';
        static const char *const known[] = {"--resolution", "--days", "--start", "--interval",
                                            "--data"};
        int k = -1;
        for (int i = 0; i < 5; i++)
            if (!strcmp(name, known[i])) k = i;
        if (k < 0)
            return bg_fail(e, BG_ECONFIG, NULL, NULL,
                           "makecase: unknown option '%s' (see bogda makecase --help)", name);
        if (eq) {
            val = eq + 1;
        } else {
            if (a + 1 >= argc)
                return bg_fail(e, BG_ECONFIG, NULL, NULL, "makecase: option %s needs a value",
                               name);
            val = argv[++a];
        }
        double v = 0.0;
        int bad = 0;
        const char *want = "a number";
        switch (k) {
        case 0: bad = parse_num(val, &s.resolution_km); break;
        case 1:
            want = "a whole number of days";
            bad = parse_num(val, &v) || v != floor(v) || fabs(v) > 1e6;
            if (!bad) s.days = (int)v;
            break;
        case 2: {
            double t;
            want = "an ISO-8601 time";
            bad = strlen(val) >= sizeof s.start || time_parse(val, &t) != 0;
            if (!bad) snprintf(s.start, sizeof s.start, "%s", val);
            break;
        }
        case 3: bad = parse_num(val, &s.interval_h); break;
        default:
            want = "a directory";
            bad = !*val || strlen(val) >= sizeof s.data_dir;
            if (!bad) snprintf(s.data_dir, sizeof s.data_dir, "%s", val);
            break;
        }
        if (bad)
            return bg_fail(e, BG_ECONFIG, NULL, NULL, "makecase: option %s: expected %s, got '%s'",
                           name, want, val);
    }
    if (!dir)
        return bg_fail(e, BG_ECONFIG, NULL, NULL,
                       "makecase: missing output directory DIR (see bogda makecase --help)");
    if (strlen(dir) >= sizeof s.dir)
        return bg_fail(e, BG_ECONFIG, NULL, NULL, "makecase: DIR is too long");
    snprintf(s.dir, sizeof s.dir, "%s", dir);
    McReport rep;
    memset(&rep, 0, sizeof rep);
    BG_TRY(makecase_run(&s, &rep, e));
    printf("makecase: wrote %s/%s (%g km, %d x %d x %d, %d day%s from %s, front on the last "
           "day)\n",
           s.dir, rep.ini, s.resolution_km, rep.nx, rep.ny, rep.nz, s.days, s.days > 1 ? "s" : "",
           s.start);
    printf("makecase: %s/: %d wrfout files in %.1f s; inventory.nc (%d x %d cells of 0.05 deg, "
           "%d sectors) in %.1f s; points.csv (%d stacks), profiles.csv, stations.csv (%d), "
           "cities.csv (%d); total %.1f s\n",
           rep.met, rep.nmet, rep.t_met, INV_NLON, INV_NLAT, MC_NSECTOR, rep.t_inv, NPOINT,
           rep.nstations, NCITY, rep.t_total);
    return BG_OK;
}
