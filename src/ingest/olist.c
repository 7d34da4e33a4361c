/* Olist file specs and row validation: see olist.h. */
#include "ingest/olist.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* One column: its name, type, OLIST_REQ or 0, and 1 + the file its keys name (0 none). */
#define COL(n, type, flags, ref)                                                                   \
    {                                                                                              \
        n, type, flags, ref                                                                        \
    }
#define T(n)        COL(n, OLIST_TEXT, 0, 0)
#define TR(n)       COL(n, OLIST_TEXT, OLIST_REQ, 0)
#define I(n)        COL(n, OLIST_INT, 0, 0)
#define IR(n)       COL(n, OLIST_INT, OLIST_REQ, 0)
#define R(n)        COL(n, OLIST_REAL, 0, 0)
#define TS(n)       COL(n, OLIST_TS, 0, 0)
#define FK(n, file) COL(n, OLIST_TEXT, OLIST_REQ, (file) + 1)

const struct olist_file OLIST_FILES[INGEST_NFILES] = {
    [INGEST_TRANSLATION] = {"product_category_name_translation",
                            "product_category_name_translation",
                            1,
                            1,
                            0,
                            2,
                            {TR("product_category_name"), TR("product_category_name_english")}},
    [INGEST_CUSTOMERS] = {"olist_customers_dataset",
                          "customers",
                          1,
                          1,
                          1,
                          5,
                          {TR("customer_id"), TR("customer_unique_id"),
                           T("customer_zip_code_prefix"), T("customer_city"), T("customer_state")}},
    [INGEST_SELLERS] = {"olist_sellers_dataset",
                        "sellers",
                        1,
                        1,
                        1,
                        4,
                        {TR("seller_id"), T("seller_zip_code_prefix"), T("seller_city"),
                         T("seller_state")}},
    [INGEST_PRODUCTS] = {"olist_products_dataset",
                         "products",
                         1,
                         1,
                         1,
                         9,
                         {TR("product_id"),
                          {"product_category_name", OLIST_TEXT, OLIST_CAT, 0},
                          I("product_name_lenght"),
                          I("product_description_lenght"),
                          I("product_photos_qty"),
                          I("product_weight_g"),
                          I("product_length_cm"),
                          I("product_height_cm"),
                          I("product_width_cm")}},
    [INGEST_ORDERS] = {"olist_orders_dataset",
                       "orders",
                       1,
                       1,
                       1,
                       8,
                       {TR("order_id"), FK("customer_id", INGEST_CUSTOMERS), TR("order_status"),
                        TS("order_purchase_timestamp"), TS("order_approved_at"),
                        TS("order_delivered_carrier_date"), TS("order_delivered_customer_date"),
                        TS("order_estimated_delivery_date")}},
    [INGEST_ITEMS] = {"olist_order_items_dataset",
                      "order_items",
                      1,
                      2,
                      0,
                      7,
                      {FK("order_id", INGEST_ORDERS),
                       IR("order_item_id"),
                       FK("product_id", INGEST_PRODUCTS),
                       FK("seller_id", INGEST_SELLERS),
                       TS("shipping_limit_date"),
                       {"price", OLIST_REAL, OLIST_REQ | OLIST_PRICE, 0},
                       R("freight_value")}},
    [INGEST_PAYMENTS] = {"olist_order_payments_dataset",
                         "order_payments",
                         1,
                         2,
                         0,
                         5,
                         {FK("order_id", INGEST_ORDERS), IR("payment_sequential"),
                          T("payment_type"), I("payment_installments"), R("payment_value")}},
    [INGEST_REVIEWS] = {"olist_order_reviews_dataset",
                        "order_reviews",
                        0,
                        2,
                        0,
                        7,
                        {TR("review_id"), FK("order_id", INGEST_ORDERS), I("review_score"),
                         T("review_comment_title"), T("review_comment_message"),
                         TS("review_creation_date"), TS("review_answer_timestamp")}},
    [INGEST_GEOLOCATION] = {"olist_geolocation_dataset",
                            "geolocation",
                            0,
                            0,
                            0,
                            5,
                            {T("geolocation_zip_code_prefix"), R("geolocation_lat"),
                             R("geolocation_lng"), T("geolocation_city"), T("geolocation_state")}},
};

static int is_digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Strict 'YYYY-MM-DD HH:MM:SS' with calendar ranges. */
int olist_valid_timestamp(const char *s, size_t len)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (len != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':')
        return 0;
    if (!is_digits(s, 4) || !is_digits(s + 5, 2) || !is_digits(s + 8, 2) || !is_digits(s + 11, 2) ||
        !is_digits(s + 14, 2) || !is_digits(s + 17, 2))
        return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + s[3] - '0';
    int mo = (s[5] - '0') * 10 + s[6] - '0', d = (s[8] - '0') * 10 + s[9] - '0';
    int h = (s[11] - '0') * 10 + s[12] - '0', mi = (s[14] - '0') * 10 + s[15] - '0';
    int se = (s[17] - '0') * 10 + s[18] - '0';
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
        return 0;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 0;
    return 1;
}

/* Whole field as a decimal integer. Up to 18 plain digits (with a sign) are
 * done here; anything else goes through strtoll, which decides. */
int olist_parse_int(const char *f, size_t len, long long *out)
{
    size_t i = f[0] == '-' || f[0] == '+';
    if (len > i && len - i <= 18) {
        long long v = 0;
        size_t k;
        for (k = i; k < len && f[k] >= '0' && f[k] <= '9'; k++)
            v = v * 10 + (f[k] - '0');
        if (k == len) {
            *out = f[0] == '-' ? -v : v;
            return 0;
        }
    }
    char *end;
    errno = 0;
    *out = strtoll(f, &end, 10);
    return (*end || end == f || errno) ? -1 : 0;
}

/* Whole field as a finite double. Plain "123.45" with at most 15 digits is
 * digits / 10^k: both are exact doubles, so the one division is correctly
 * rounded and equals strtod's result. Everything else (exponents, long
 * mantissas, "inf", junk) goes through strtod, which decides. */
int olist_parse_real(const char *f, size_t len, double *out)
{
    static const double pow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    size_t i = f[0] == '-', digits = 0, frac = 0;
    int dot = 0;
    uint64_t m = 0;
    for (; i < len; i++) {
        char ch = f[i];
        if (ch >= '0' && ch <= '9') {
            m = m * 10 + (uint64_t)(ch - '0');
            digits++;
            frac += (size_t)dot;
        } else if (ch == '.' && !dot) {
            dot = 1;
        } else {
            break;
        }
    }
    if (i == len && digits && digits <= 15) {
        double v = (double)m / pow10[frac];
        *out = f[0] == '-' ? -v : v;
        return 0;
    }
    char *end;
    errno = 0;
    *out = strtod(f, &end);
    return (*end || end == f || errno || !isfinite(*out)) ? -1 : 0;
}

int olist_check_row(int file, const struct csvload_row *row, const struct keyset *sets,
                    struct olist_counts *n, struct rowbatch_val *v, char *err, size_t errlen)
{
    const struct olist_file *sp = &OLIST_FILES[file];
    for (int i = 0; i < sp->ncols; i++) {
        const struct olist_col *col = &sp->cols[i];
        const char *f = row->field[i];
        size_t len = row->len[i];
        if (!f) {
            if (col->flags & OLIST_REQ)
                return csvload_field_error(err, errlen, row, i, "empty, but a value is required");
            if (col->flags & OLIST_CAT) {
                n->outros++;
                v[i] = (struct rowbatch_val){.type = RB_TEXT, .len = 6, .u.s = "outros"};
                continue;
            }
            if (col->type == OLIST_TS) {
                n->null_ts++;
                n->null_ts_col[i]++;
            }
            v[i] = (struct rowbatch_val){.type = RB_NULL};
            continue;
        }
        long long iv;
        switch (col->type) {
        case OLIST_INT:
            if (olist_parse_int(f, len, &iv) < 0)
                return csvload_field_error(err, errlen, row, i, "'%.40s' is not an integer", f);
            v[i] = (struct rowbatch_val){.type = RB_INT, .u.i = iv};
            break;
        case OLIST_REAL:
            v[i].type = RB_REAL;
            if (olist_parse_real(f, len, &v[i].u.d) < 0)
                return csvload_field_error(err, errlen, row, i, "'%.40s' is not a number", f);
            if ((col->flags & OLIST_PRICE) && v[i].u.d < 0)
                return csvload_field_error(err, errlen, row, i, "negative price %.2f", v[i].u.d);
            break;
        case OLIST_TS:
            if (!olist_valid_timestamp(f, len))
                return csvload_field_error(err, errlen, row, i,
                                           "'%.40s' is not a timestamp (YYYY-MM-DD HH:MM:SS)", f);
            /* stored as text */
            /* fall through */
        default:
            if (col->ref && !keyset_has(&sets[col->ref - 1], f, len))
                return csvload_field_error(err, errlen, row, i, "'%.40s' is not in %s.csv", f,
                                           OLIST_FILES[col->ref - 1].base);
            if (len > UINT32_MAX)
                return csvload_field_error(err, errlen, row, i, "field too long");
            v[i] = (struct rowbatch_val){.type = RB_TEXT, .len = (uint32_t)len, .u.s = f};
        }
    }
    return 0;
}
