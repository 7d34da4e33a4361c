/* Deterministic Olist-shaped sample generator: see sample.h.
 * Shape, after the real data: ~97% of people order once; product popularity
 * is Zipf-skewed within categories weighted by the real item counts; prices
 * are log-normal around each category's real median (so a few items land
 * above mean + 3 sd); states are weighted with SP heaviest. Every person has
 * a taste (one of six category groups) and each product has a few "related"
 * products in its group, so repeat buyers buy related things: signal that
 * collaborative filtering can find and popularity cannot. */
#include "ingest/sample.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ingest/ingest.h"
#include "util/error.h"

/* --- PRNG: xoshiro256** seeded through splitmix64 ------------------------ */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix(&seed);
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5;
    uint64_t res = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return res;
}

static double rng_unit(struct rng *r) /* [0, 1) */
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static int rng_int(struct rng *r, int lo, int hi) /* inclusive */
{
    return lo + (int)(rng_unit(r) * (double)(hi - lo + 1));
}

static double rng_normal(struct rng *r)
{
    double u = rng_unit(r), v = rng_unit(r);
    return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

static void rng_hex(struct rng *r, char out[33])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t a = rng_next(r), b = rng_next(r);
    for (int i = 0; i < 16; i++) {
        out[i] = hex[(a >> (60 - 4 * i)) & 15];
        out[16 + i] = hex[(b >> (60 - 4 * i)) & 15];
    }
    out[32] = '\0';
}

/* Index drawn from cumulative weights cum[0..n-1] (cum[n-1] = total). */
static int pick_cum(struct rng *r, const double *cum, int n)
{
    double x = rng_unit(r) * cum[n - 1];
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* --- reference data (real Olist names) ----------------------------------- */

enum { G_HOME, G_STYLE, G_TECH, G_TOOLS, G_KIDS, G_CULTURE, NGROUPS };

static const struct category {
    const char *pt, *en; /* en NULL: missing from the translation file, as in Olist */
    int weight;          /* real order-item count */
    int median;          /* real median price, BRL */
    int group;
} CATS[] = {
    {"cama_mesa_banho", "bed_bath_table", 11115, 79, G_HOME},
    {"beleza_saude", "health_beauty", 9670, 79, G_STYLE},
    {"esporte_lazer", "sports_leisure", 8641, 78, G_TOOLS},
    {"moveis_decoracao", "furniture_decor", 8334, 65, G_HOME},
    {"informatica_acessorios", "computers_accessories", 7827, 81, G_TECH},
    {"utilidades_domesticas", "housewares", 6964, 59, G_HOME},
    {"relogios_presentes", "watches_gifts", 5991, 129, G_STYLE},
    {"telefonia", "telephony", 4545, 29, G_TECH},
    {"ferramentas_jardim", "garden_tools", 4347, 59, G_TOOLS},
    {"automotivo", "auto", 4235, 84, G_TOOLS},
    {"brinquedos", "toys", 4117, 79, G_KIDS},
    {"cool_stuff", "cool_stuff", 3796, 129, G_KIDS},
    {"perfumaria", "perfumery", 3419, 84, G_STYLE},
    {"bebes", "baby", 3065, 77, G_KIDS},
    {"eletronicos", "electronics", 2767, 21, G_TECH},
    {"papelaria", "stationery", 2517, 79, G_CULTURE},
    {"fashion_bolsas_e_acessorios", "fashion_bags_accessories", 2031, 49, G_STYLE},
    {"pet_shop", "pet_shop", 1947, 89, G_KIDS},
    {"moveis_escritorio", "office_furniture", 1691, 144, G_CULTURE},
    {"consoles_games", "consoles_games", 1137, 59, G_TECH},
    {"malas_acessorios", "luggage_accessories", 1092, 99, G_STYLE},
    {"construcao_ferramentas_construcao", "construction_tools_construction", 929, 89, G_TOOLS},
    {"eletrodomesticos", "home_appliances", 771, 47, G_HOME},
    {"instrumentos_musicais", "musical_instruments", 680, 94, G_CULTURE},
    {"eletroportateis", "small_appliances", 679, 99, G_HOME},
    {"casa_construcao", "home_construction", 604, 95, G_TOOLS},
    {"livros_interesse_geral", "books_general_interest", 553, 44, G_CULTURE},
    {"alimentos", "food", 510, 48, G_CULTURE},
    {"moveis_sala", "furniture_living_room", 503, 103, G_HOME},
    {"casa_conforto", "home_confort", 434, 89, G_HOME},
    {"bebidas", "drinks", 379, 47, G_CULTURE},
    {"audio", "audio", 364, 89, G_TECH},
    {"market_place", "market_place", 311, 62, G_CULTURE},
    {"construcao_ferramentas_iluminacao", "construction_tools_lights", 304, 104, G_TOOLS},
    {"climatizacao", "air_conditioning", 297, 139, G_HOME},
    {"moveis_cozinha_area_de_servico_jantar_e_jardim", "kitchen_dining_laundry_garden_furniture",
     281, 110, G_HOME},
    {"alimentos_bebidas", "food_drink", 278, 38, G_CULTURE},
    {"industria_comercio_e_negocios", "industry_commerce_and_business", 268, 103, G_TOOLS},
    {"livros_tecnicos", "books_technical", 267, 57, G_CULTURE},
    {"telefonia_fixa", "fixed_telephony", 264, 64, G_TECH},
    {"fashion_calcados", "fashion_shoes", 262, 77, G_STYLE},
    {"construcao_ferramentas_jardim", "costruction_tools_garden", 238, 48, G_TOOLS},
    {"eletrodomesticos_2", "home_appliances_2", 238, 225, G_HOME},
    {"agro_industria_e_comercio", "agro_industry_and_commerce", 212, 258, G_TOOLS},
    {"artes", "art", 209, 97, G_CULTURE},
    {"pcs", "computers", 203, 1100, G_TECH},
    {"sinalizacao_e_seguranca", "signaling_and_security", 199, 75, G_TOOLS},
    {"construcao_ferramentas_seguranca", "construction_tools_safety", 194, 125, G_TOOLS},
    {"artigos_de_natal", "christmas_supplies", 153, 44, G_HOME},
    {"fashion_roupa_masculina", "fashion_male_clothing", 132, 59, G_STYLE},
    {"fashion_underwear_e_moda_praia", "fashion_underwear_beach", 131, 59, G_STYLE},
    {"moveis_quarto", "furniture_bedroom", 109, 179, G_HOME},
    {"construcao_ferramentas_ferramentas", "costruction_tools_tools", 103, 59, G_TOOLS},
    {"tablets_impressao_imagem", "tablets_printing_image", 83, 99, G_TECH},
    {"portateis_casa_forno_e_cafe", "small_appliances_home_oven_and_coffee", 76, 587, G_HOME},
    {"cine_foto", "cine_photo", 72, 72, G_TECH},
    {"dvds_blu_ray", "dvds_blu_ray", 64, 19, G_CULTURE},
    {"livros_importados", "books_imported", 60, 63, G_CULTURE},
    {"fashion_roupa_feminina", "fashio_female_clothing", 48, 49, G_STYLE},
    {"artigos_de_festas", "party_supplies", 43, 67, G_HOME},
    {"fraldas_higiene", "diapers_and_hygiene", 39, 37, G_KIDS},
    {"musica", "music", 38, 54, G_CULTURE},
    {"moveis_colchao_e_estofado", "furniture_mattress_and_upholstery", 38, 85, G_HOME},
    {"flores", "flowers", 33, 25, G_HOME},
    {"casa_conforto_2", "home_comfort_2", 30, 12, G_HOME},
    {"fashion_esporte", "fashion_sport", 30, 59, G_STYLE},
    {"artes_e_artesanato", "arts_and_craftmanship", 24, 44, G_CULTURE},
    {"portateis_cozinha_e_preparadores_de_alimentos", NULL, 15, 34, G_HOME},
    {"cds_dvds_musicais", "cds_dvds_musicals", 14, 45, G_CULTURE},
    {"la_cuisine", "la_cuisine", 14, 137, G_HOME},
    {"pc_gamer", NULL, 9, 129, G_TECH},
    {"fashion_roupa_infanto_juvenil", "fashion_childrens_clothes", 8, 69, G_STYLE},
    {"seguros_e_servicos", "security_and_services", 2, 141, G_CULTURE},
};
#define NCATS ((int)(sizeof CATS / sizeof CATS[0]))

/* Share of people per state (per mille, after the real customers file),
 * a zip range and a few real city names. */
static const struct state {
    const char *uf;
    int permille;
    int zip_lo, zip_hi;
    const char *cities[3];
} STATES[] = {
    {"SP", 420, 1000, 19999, {"sao paulo", "campinas", "guarulhos"}},
    {"RJ", 129, 20000, 28999, {"rio de janeiro", "niteroi", "nova iguacu"}},
    {"MG", 117, 30000, 39999, {"belo horizonte", "juiz de fora", "uberlandia"}},
    {"RS", 55, 90000, 99999, {"porto alegre", "caxias do sul", "pelotas"}},
    {"PR", 51, 80000, 87999, {"curitiba", "londrina", "maringa"}},
    {"SC", 37, 88000, 89999, {"florianopolis", "joinville", "blumenau"}},
    {"BA", 34, 40000, 48999, {"salvador", "feira de santana", "vitoria da conquista"}},
    {"DF", 22, 70000, 73699, {"brasilia", "brasilia", "brasilia"}},
    {"ES", 20, 29000, 29999, {"vila velha", "vitoria", "serra"}},
    {"GO", 20, 72800, 76799, {"goiania", "anapolis", "aparecida de goiania"}},
    {"PE", 17, 50000, 56999, {"recife", "jaboatao dos guararapes", "olinda"}},
    {"CE", 13, 60000, 63999, {"fortaleza", "caucaia", "juazeiro do norte"}},
    {"PA", 10, 66000, 68899, {"belem", "ananindeua", "santarem"}},
    {"MT", 9, 78000, 78899, {"cuiaba", "varzea grande", "rondonopolis"}},
    {"MA", 8, 65000, 65999, {"sao luis", "imperatriz", "timon"}},
    {"MS", 7, 79000, 79999, {"campo grande", "dourados", "tres lagoas"}},
    {"PB", 5, 58000, 58999, {"joao pessoa", "campina grande", "santa rita"}},
    {"PI", 5, 64000, 64999, {"teresina", "parnaiba", "picos"}},
    {"RN", 5, 59000, 59999, {"natal", "mossoro", "parnamirim"}},
    {"AL", 4, 57000, 57999, {"maceio", "arapiraca", "rio largo"}},
    {"SE", 3, 49000, 49999, {"aracaju", "nossa senhora do socorro", "lagarto"}},
    {"TO", 3, 77000, 77999, {"palmas", "araguaina", "gurupi"}},
    {"RO", 3, 76800, 76999, {"porto velho", "ji-parana", "ariquemes"}},
    {"AM", 2, 69000, 69299, {"manaus", "parintins", "itacoatiara"}},
    {"AC", 1, 69900, 69999, {"rio branco", "cruzeiro do sul", "sena madureira"}},
    {"AP", 1, 68900, 68999, {"macapa", "santana", "laranjal do jari"}},
    {"RR", 1, 69300, 69399, {"boa vista", "rorainopolis", "caracarai"}},
};
#define NSTATES ((int)(sizeof STATES / sizeof STATES[0]))

/* Review texts: commas, quotes and line breaks on purpose (CRLF inside the
 * quotes, as in the original file). */
static const char *const TITLES[] = {"Recomendo",       "Ótimo",          "Muito bom", "Péssimo",
                                     "Produto \"top\"", "Entrega rápida", "Não recebi"};
static const char *const MESSAGES_GOOD[] = {
    "Produto muito bom, chegou antes do prazo.",
    "Excelente qualidade, recomendo a todos!",
    "Chegou rápido, bem embalado e conforme o anúncio.",
    "Gostei muito.\r\nVoltarei a comprar nesta loja, obrigado.",
    "O produto é \"exatamente\" como na foto, parabéns",
    "Tudo certo",
};
static const char *const MESSAGES_BAD[] = {
    "Ainda não recebi o produto, e o prazo já passou.",
    "Produto veio com defeito,\r\nsolicitei a troca e ninguém respondeu.",
    "Recebi só 1 dos 2 itens comprados",
    "Não gostei, a cor é diferente da \"foto\" do site.",
};

/* Approximate state capitals, for geolocation rows. */
static const double STATE_LATLNG[NSTATES][2] = {
    {-23.55, -46.63}, {-22.91, -43.17}, {-19.92, -43.94}, {-30.03, -51.23}, {-25.43, -49.27},
    {-27.60, -48.55}, {-12.97, -38.50}, {-15.79, -47.88}, {-20.32, -40.34}, {-16.68, -49.25},
    {-8.05, -34.88},  {-3.73, -38.52},  {-1.46, -48.50},  {-15.60, -56.10}, {-2.53, -44.30},
    {-20.44, -54.65}, {-7.12, -34.86},  {-5.09, -42.80},  {-5.79, -35.21},  {-9.67, -35.74},
    {-10.91, -37.07}, {-10.18, -48.33}, {-8.76, -63.90},  {-3.12, -60.02},  {-9.97, -67.81},
    {0.03, -51.07},   {2.82, -60.67}};

/* --- time ------------------------------------------------------------------ */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Unix seconds -> "YYYY-MM-DD HH:MM:SS" (UTC, no time zone involved). */
static void fmt_ts(int64_t t, char out[32])
{
    int64_t z = t / 86400 + 719468, sod = t % 86400;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(out, 32, "%04d-%02u-%02u %02d:%02d:%02d", (int)y, m, d, (int)(sod / 3600),
             (int)(sod / 60 % 60), (int)(sod % 60));
}

/* --- CSV writing in Olist's quoting style -------------------------------- */

/* Quoted when the text starts with a digit or holds , " CR LF; empty = NULL. */
static void put_str(FILE *f, const char *s)
{
    if (!s || !*s)
        return;
    if ((*s >= '0' && *s <= '9') || strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (const char *p = s; *p; p++) {
            if (*p == '"')
                fputc('"', f);
            fputc(*p, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
}

static void put_header(FILE *f, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        fprintf(f, "%s\"%s\"", i ? "," : "", names[i]);
    fputc('\n', f);
}

/* --- the model of the shop ------------------------------------------------ */

struct product {
    char id[33];
    int cat, seller;
    double price;
    int empty_cat;
    int related[3];
};

struct shop {
    struct rng r;
    int nproducts, nsellers;
    struct product *prod;
    char (*seller_id)[33];
    int *cat_first, *cat_list; /* products of category c: cat_list[cat_first[c]..] */
    double *cat_cum;           /* Zipf cumulative weights, same layout */
    double global_cum[NCATS];
    double group_cum[NGROUPS][NCATS];
    double group_weight[NGROUPS];
    double state_cum[NSTATES];
};

static int pick_product_in_cat(struct shop *s, int c)
{
    int a = s->cat_first[c], n = s->cat_first[c + 1] - a;
    return s->cat_list[a + pick_cum(&s->r, s->cat_cum + a, n)];
}

static int pick_product_in_group(struct shop *s, int g)
{
    return pick_product_in_cat(s, pick_cum(&s->r, s->group_cum[g], NCATS));
}

static int build_shop(struct shop *s, int customers)
{
    s->nproducts = customers * 34 / 100;
    if (s->nproducts < 2 * NCATS)
        s->nproducts = 2 * NCATS;
    s->nsellers = customers * 32 / 1000;
    if (s->nsellers < 8)
        s->nsellers = 8;
    s->prod = calloc((size_t)s->nproducts, sizeof *s->prod);
    s->seller_id = calloc((size_t)s->nsellers, sizeof *s->seller_id);
    s->cat_first = calloc(NCATS + 1, sizeof *s->cat_first);
    s->cat_list = calloc((size_t)s->nproducts, sizeof *s->cat_list);
    s->cat_cum = calloc((size_t)s->nproducts, sizeof *s->cat_cum);
    if (!s->prod || !s->seller_id || !s->cat_first || !s->cat_list || !s->cat_cum)
        return -1;
    double acc = 0;
    for (int c = 0; c < NCATS; c++) {
        acc += CATS[c].weight;
        s->global_cum[c] = acc;
        s->group_weight[CATS[c].group] += CATS[c].weight;
    }
    for (int g = 0; g < NGROUPS; g++) {
        double a = 0;
        for (int c = 0; c < NCATS; c++) {
            a += CATS[c].group == g ? CATS[c].weight : 0;
            s->group_cum[g][c] = a;
        }
    }
    acc = 0;
    for (int i = 0; i < NSTATES; i++)
        s->state_cum[i] = acc += STATES[i].permille;
    for (int i = 0; i < s->nsellers; i++)
        rng_hex(&s->r, s->seller_id[i]);
    /* Seller popularity is skewed too: a few big sellers carry many products. */
    double *seller_cum = malloc((size_t)s->nsellers * sizeof *seller_cum);
    if (!seller_cum)
        return -1;
    acc = 0;
    for (int i = 0; i < s->nsellers; i++)
        seller_cum[i] = acc += 1.0 / pow(i + 1, 0.9);
    for (int p = 0; p < s->nproducts; p++) {
        struct product *pr = &s->prod[p];
        rng_hex(&s->r, pr->id);
        pr->cat = p < NCATS ? p : pick_cum(&s->r, s->global_cum, NCATS);
        pr->seller = pick_cum(&s->r, seller_cum, s->nsellers);
        double price = CATS[pr->cat].median * exp(0.75 * rng_normal(&s->r));
        if (rng_unit(&s->r) < 0.004) /* a few luxury items: the outliers */
            price *= 8 + 8 * rng_unit(&s->r);
        price = floor(price * 10 + 0.5) / 10;
        pr->price = price < 3.5 ? 3.9 : price;
        pr->empty_cat = rng_unit(&s->r) < 0.019;
        s->cat_first[pr->cat + 1]++;
    }
    free(seller_cum);
    for (int c = 0; c < NCATS; c++)
        s->cat_first[c + 1] += s->cat_first[c];
    int *fill = calloc(NCATS, sizeof *fill);
    if (!fill)
        return -1;
    for (int p = 0; p < s->nproducts; p++) {
        int c = s->prod[p].cat, at = s->cat_first[c] + fill[c]++;
        s->cat_list[at] = p;
        s->cat_cum[at] = (at > s->cat_first[c] ? s->cat_cum[at - 1] : 0) + 1.0 / pow(fill[c], 1.05);
    }
    free(fill);
    for (int p = 0; p < s->nproducts; p++)
        for (int k = 0; k < 3; k++) {
            int q = pick_product_in_group(s, CATS[s->prod[p].cat].group);
            s->prod[p].related[k] =
                q == p ? pick_product_in_group(s, CATS[s->prod[p].cat].group) : q;
        }
    return 0;
}

static void free_shop(struct shop *s)
{
    free(s->prod);
    free(s->seller_id);
    free(s->cat_first);
    free(s->cat_list);
    free(s->cat_cum);
}

/* --- the files ------------------------------------------------------------ */

enum { F_TR, F_CUST, F_SELL, F_PROD, F_ORD, F_ITEM, F_PAY, F_REV, F_GEO, NF };

struct out {
    FILE *f[NF];
    char path[NF][4096];
};

static void write_geo(struct rng *r, FILE *f, const char *zip, int state, const char *city);

static void write_static_files(struct shop *s, struct out *o)
{
    static const char *const ph[] = {"product_id",          "product_category_name",
                                     "product_name_lenght", "product_description_lenght",
                                     "product_photos_qty",  "product_weight_g",
                                     "product_length_cm",   "product_height_cm",
                                     "product_width_cm"};
    static const char *const sh[] = {"seller_id", "seller_zip_code_prefix", "seller_city",
                                     "seller_state"};
    /* The real translation file: BOM, bare header, CRLF, no final newline. */
    fputs("\xEF\xBB\xBFproduct_category_name,product_category_name_english", o->f[F_TR]);
    for (int c = 0; c < NCATS; c++)
        if (CATS[c].en)
            fprintf(o->f[F_TR], "\r\n%s,%s", CATS[c].pt, CATS[c].en);
    put_header(o->f[F_PROD], ph, 9);
    for (int p = 0; p < s->nproducts; p++) {
        const struct product *pr = &s->prod[p];
        FILE *f = o->f[F_PROD];
        put_str(f, pr->id);
        fputc(',', f);
        if (pr->empty_cat) { /* Olist leaves the descriptive columns empty too */
            fputs(",,,,", f);
        } else {
            put_str(f, CATS[pr->cat].pt);
            fprintf(f, ",%d,%d,%d,", rng_int(&s->r, 10, 64), rng_int(&s->r, 40, 3000),
                    rng_int(&s->r, 1, 6));
        }
        int w = rng_int(&s->r, 50, 20000);
        fprintf(f, "%d,%d,%d,%d\n", w, rng_int(&s->r, 10, 90), rng_int(&s->r, 2, 60),
                rng_int(&s->r, 8, 60));
    }
    put_header(o->f[F_SELL], sh, 4);
    for (int i = 0; i < s->nsellers; i++) {
        const struct state *st = &STATES[pick_cum(&s->r, s->state_cum, NSTATES)];
        char zip[8];
        snprintf(zip, sizeof zip, "%05d", rng_int(&s->r, st->zip_lo, st->zip_hi));
        put_str(o->f[F_SELL], s->seller_id[i]);
        fputc(',', o->f[F_SELL]);
        put_str(o->f[F_SELL], zip);
        fputc(',', o->f[F_SELL]);
        const char *city = st->cities[rng_int(&s->r, 0, 2)];
        put_str(o->f[F_SELL], city);
        fprintf(o->f[F_SELL], ",%s\n", st->uf);
        write_geo(&s->r, o->f[F_GEO], zip, (int)(st - STATES), city);
    }
}

static void put_ts(FILE *f, int64_t t) /* t <= 0: empty */
{
    if (t > 0) {
        char b[32];
        fmt_ts(t, b);
        fputs(b, f);
    }
}

static const char *pick_status(struct rng *r)
{
    double u = rng_unit(r);
    return u < 0.006    ? "canceled"
           : u < 0.012  ? "unavailable"
           : u < 0.023  ? "shipped"
           : u < 0.026  ? "invoiced"
           : u < 0.029  ? "processing"
           : u < 0.0295 ? "created"
           : u < 0.030  ? "approved"
                        : "delivered";
}

/* One order: its customers row, items, payments, review. prev is the last
 * product this person bought (-1 for none), updated on return. */
static void write_order(struct shop *s, struct out *o, const char *unique, const char *zip,
                        const struct state *st, const char *city, int group, int64_t t, int64_t end,
                        int *prev, char last_review[33])
{
    struct rng *r = &s->r;
    char cust[33], oid[33];
    rng_hex(r, cust);
    rng_hex(r, oid);
    FILE *f = o->f[F_CUST];
    put_str(f, cust);
    fputc(',', f);
    put_str(f, unique);
    fputc(',', f);
    put_str(f, zip);
    fputc(',', f);
    put_str(f, city);
    fprintf(f, ",%s\n", st->uf);

    const char *status = pick_status(r);
    if (!strcmp(status, "delivered") && t > end - 20 * 86400)
        status = "shipped";
    int delivered = !strcmp(status, "delivered"), shipped = delivered || !strcmp(status, "shipped");
    int64_t approved = t + rng_int(r, 600, 2 * 86400);
    if (!strcmp(status, "created") || (!strcmp(status, "canceled") && rng_unit(r) < 0.3))
        approved = 0;
    int64_t carrier = shipped ? approved + rng_int(r, 1, 5) * 86400 + rng_int(r, 0, 86399) : 0;
    int64_t arrived = delivered && rng_unit(r) > 0.003
                          ? carrier + rng_int(r, 2, 25) * 86400 + rng_int(r, 0, 86399)
                          : 0;
    int64_t estimated = (t / 86400 + rng_int(r, 15, 45)) * 86400;
    f = o->f[F_ORD];
    put_str(f, oid);
    fputc(',', f);
    put_str(f, cust);
    fprintf(f, ",%s,", status);
    put_ts(f, t);
    fputc(',', f);
    put_ts(f, approved);
    fputc(',', f);
    put_ts(f, carrier);
    fputc(',', f);
    put_ts(f, arrived);
    fputc(',', f);
    put_ts(f, estimated);
    fputc('\n', f);

    double u = rng_unit(r), total = 0;
    int nitems = u < 0.9 ? 1 : u < 0.97 ? 2 : rng_int(r, 3, 4), p = -1;
    for (int i = 1; i <= nitems; i++) {
        if (p >= 0 && rng_unit(r) < 0.4) {
            /* the same product again: Olist lists quantity as repeated items */
        } else if (*prev >= 0 && rng_unit(r) < 0.6) {
            p = s->prod[*prev].related[rng_int(r, 0, 2)];
        } else if (rng_unit(r) < 0.25) {
            p = pick_product_in_cat(s, pick_cum(r, s->global_cum, NCATS));
        } else {
            p = pick_product_in_group(s, group);
        }
        *prev = p;
        const struct product *pr = &s->prod[p];
        double price = pr->price, freight = floor((6 + 12 * exp(0.6 * rng_normal(r))) * 100) / 100;
        total += price + freight;
        f = o->f[F_ITEM];
        put_str(f, oid);
        fprintf(f, ",%d,", i);
        put_str(f, pr->id);
        fputc(',', f);
        put_str(f, s->seller_id[pr->seller]);
        fputc(',', f);
        put_ts(f, (approved ? approved : t) + 6 * 86400);
        fprintf(f, ",%.2f,%.2f\n", price, freight);
    }

    f = o->f[F_PAY];
    u = rng_unit(r);
    if (u < 0.74) {
        put_str(f, oid);
        fprintf(f, ",1,credit_card,%d,%.2f\n", rng_unit(r) < 0.5 ? 1 : rng_int(r, 2, 10), total);
    } else if (u < 0.93) {
        put_str(f, oid);
        fprintf(f, ",1,boleto,1,%.2f\n", total);
    } else if (u < 0.985 && total > 20) {
        double v = floor(total * 30) / 100;
        put_str(f, oid);
        fprintf(f, ",1,voucher,1,%.2f\n", v);
        put_str(f, oid);
        fprintf(f, ",2,credit_card,1,%.2f\n", total - v);
    } else {
        put_str(f, oid);
        fprintf(f, ",1,debit_card,1,%.2f\n", total);
    }

    if (rng_unit(r) < 0.96) {
        int bad = !delivered || (arrived && arrived > estimated);
        double v = rng_unit(r);
        int score = bad ? (v < 0.6    ? 1
                           : v < 0.75 ? 2
                           : v < 0.9  ? 3
                                      : 4)
                        : (v < 0.62   ? 5
                           : v < 0.84 ? 4
                           : v < 0.92 ? 3
                           : v < 0.95 ? 2
                                      : 1);
        char rid[33];
        if (last_review[0] && rng_unit(r) < 0.002)
            memcpy(rid, last_review, 33); /* Olist reuses a review id across orders */
        else
            rng_hex(r, rid);
        memcpy(last_review, rid, 33);
        int64_t created = ((arrived ? arrived : estimated) / 86400 + 1) * 86400;
        f = o->f[F_REV];
        put_str(f, rid);
        fputc(',', f);
        put_str(f, oid);
        fprintf(f, ",%d,", score);
        if (rng_unit(r) < 0.12)
            put_str(f, TITLES[rng_int(r, 0, (int)(sizeof TITLES / sizeof *TITLES) - 1)]);
        fputc(',', f);
        if (rng_unit(r) < 0.42)
            put_str(f,
                    score >= 4 ? MESSAGES_GOOD[rng_int(r, 0, 5)] : MESSAGES_BAD[rng_int(r, 0, 3)]);
        fputc(',', f);
        put_ts(f, created);
        fputc(',', f);
        put_ts(f, created + rng_int(r, 3 * 3600, 4 * 86400));
        fputc('\n', f);
    }
}

static void write_geo(struct rng *r, FILE *f, const char *zip, int state, const char *city)
{
    double lat = STATE_LATLNG[state][0] + 0.6 * rng_normal(r);
    double lng = STATE_LATLNG[state][1] + 0.6 * rng_normal(r);
    int copies = rng_unit(r) < 0.1 ? 2 : 1; /* exact duplicates, as in the original */
    for (int i = 0; i < copies; i++) {
        put_str(f, zip);
        fprintf(f, ",%.14f,%.14f,", lat, lng);
        put_str(f, strcmp(city, "sao paulo") == 0 ? "são paulo" : city);
        fprintf(f, ",%s\n", STATES[state].uf);
    }
}

static int mkdir_p(const char *dir)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", dir) >= (int)sizeof tmp)
        return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    return stat(tmp, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

int sample_generate(const char *out_dir, int customers, unsigned seed, char *err, size_t errlen)
{
    static const char *const oh[] = {"order_id",
                                     "customer_id",
                                     "order_status",
                                     "order_purchase_timestamp",
                                     "order_approved_at",
                                     "order_delivered_carrier_date",
                                     "order_delivered_customer_date",
                                     "order_estimated_delivery_date"};
    static const char *const ch[] = {"customer_id", "customer_unique_id",
                                     "customer_zip_code_prefix", "customer_city", "customer_state"};
    static const char *const ih[] = {"order_id",     "order_item_id",       "product_id",
                                     "seller_id",    "shipping_limit_date", "price",
                                     "freight_value"};
    static const char *const payh[] = {"order_id", "payment_sequential", "payment_type",
                                       "payment_installments", "payment_value"};
    static const char *const rh[] = {"review_id",
                                     "order_id",
                                     "review_score",
                                     "review_comment_title",
                                     "review_comment_message",
                                     "review_creation_date",
                                     "review_answer_timestamp"};
    static const char *const gh[] = {"geolocation_zip_code_prefix", "geolocation_lat",
                                     "geolocation_lng", "geolocation_city", "geolocation_state"};
    struct shop s;
    struct out o;
    int rc = -1;
    memset(&s, 0, sizeof s);
    memset(&o, 0, sizeof o);
    if (customers < 10 || customers > SAMPLE_MAX_CUSTOMERS)
        return err_set(err, errlen, "customers must be 10..%d, not %d", SAMPLE_MAX_CUSTOMERS,
                       customers);
    if (mkdir_p(out_dir) != 0)
        return err_set(err, errlen, "cannot create directory %s: %s", out_dir, strerror(errno));
    rng_seed(&s.r, 0x6F6C697374ULL ^ ((uint64_t)seed << 20) ^ (uint64_t)seed);
    if (build_shop(&s, customers) < 0) {
        err_set(err, errlen, "out of memory for %d customers", customers);
        goto out;
    }
    for (int i = 0; i < NF; i++) {
        snprintf(o.path[i], sizeof o.path[i], "%s/%s.csv", out_dir, ingest_file_base(i));
        o.f[i] = fopen(o.path[i], "wb");
        if (!o.f[i]) {
            err_set(err, errlen, "cannot write %s: %s", o.path[i], strerror(errno));
            goto out;
        }
    }
    put_header(o.f[F_GEO], gh, 5);
    write_static_files(&s, &o);
    put_header(o.f[F_CUST], ch, 5);
    put_header(o.f[F_ORD], oh, 8);
    put_header(o.f[F_ITEM], ih, 7);
    put_header(o.f[F_PAY], payh, 5);
    put_header(o.f[F_REV], rh, 7);

    const int64_t start = days_from_civil(2016, 9, 4) * 86400;
    const int64_t end = days_from_civil(2018, 10, 17) * 86400;
    char last_review[33] = "";
    for (int u = 0; u < customers; u++) {
        struct rng *r = &s.r;
        char unique[33], zip[8];
        rng_hex(r, unique);
        int si = pick_cum(r, s.state_cum, NSTATES);
        const struct state *st = &STATES[si];
        const char *city = st->cities[rng_int(r, 0, 2)];
        snprintf(zip, sizeof zip, "%05d", rng_int(r, st->zip_lo, st->zip_hi));
        double all = 0;
        for (int g = 0; g < NGROUPS; g++)
            all += s.group_weight[g];
        double gu = rng_unit(r) * all;
        int group;
        for (group = 0; group < NGROUPS - 1 && gu >= s.group_weight[group]; group++)
            gu -= s.group_weight[group];
        double k = rng_unit(r);
        int norders = k < 0.965 ? 1 : k < 0.99 ? 2 : k < 0.997 ? 3 : rng_int(r, 4, 6);
        int64_t t = start + (int64_t)((double)(end - start) * pow(rng_unit(r), 0.6));
        int prev = -1;
        if (rng_unit(r) < 0.5)
            write_geo(r, o.f[F_GEO], zip, si, city);
        for (int j = 0; j < norders && t < end; j++) {
            write_order(&s, &o, unique, zip, st, city, group, t, end, &prev, last_review);
            t += (int64_t)rng_int(r, 3, 200) * 86400 + rng_int(r, 0, 86399);
        }
    }
    char marker[4200];
    snprintf(marker, sizeof marker, "%s/%s", out_dir, INGEST_SAMPLE_MARKER);
    FILE *m = fopen(marker, "w");
    if (!m) {
        err_set(err, errlen, "cannot write %s: %s", marker, strerror(errno));
        goto out;
    }
    fprintf(m, "generated by recsys-tui gen-sample (not real data)\nseed=%u\ncustomers=%d\n", seed,
            customers);
    if (fclose(m) != 0) {
        err_set(err, errlen, "cannot write %s: %s", marker, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    for (int i = 0; i < NF; i++) {
        if (o.f[i] && fclose(o.f[i]) != 0 && rc == 0)
            rc = err_set(err, errlen, "cannot write %s: %s", o.path[i], strerror(errno));
    }
    free_shop(&s);
    return rc;
}
