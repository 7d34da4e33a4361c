/* The database schema as SQL text (see schema.h). Kept in one place so the
 * benchmark (`ingest --print-schema`) and the engine see exactly what ingest
 * builds. */
#include "ingest/schema.h"

#include <stdio.h>
#include <string.h>

static const char SCHEMA_TABLES[] =
    "CREATE TABLE product_category_name_translation (\n"
    "  product_category_name TEXT PRIMARY KEY,\n"
    "  product_category_name_english TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE customers (\n"
    "  customer_id TEXT PRIMARY KEY,\n"
    "  customer_unique_id TEXT NOT NULL,\n"
    "  customer_zip_code_prefix TEXT,\n"
    "  customer_city TEXT,\n"
    "  customer_state TEXT\n"
    ");\n"
    "CREATE TABLE sellers (\n"
    "  seller_id TEXT PRIMARY KEY,\n"
    "  seller_zip_code_prefix TEXT,\n"
    "  seller_city TEXT,\n"
    "  seller_state TEXT\n"
    ");\n"
    "CREATE TABLE products (\n"
    "  product_id TEXT PRIMARY KEY,\n"
    "  product_category_name TEXT NOT NULL, -- 'outros' when the file left it empty\n"
    "  product_name_lenght INTEGER,\n"
    "  product_description_lenght INTEGER,\n"
    "  product_photos_qty INTEGER,\n"
    "  product_weight_g INTEGER,\n"
    "  product_length_cm INTEGER,\n"
    "  product_height_cm INTEGER,\n"
    "  product_width_cm INTEGER\n"
    ");\n"
    "-- Timestamps are TEXT 'YYYY-MM-DD HH:MM:SS' (validated), NULL when empty.\n"
    "CREATE TABLE orders (\n"
    "  order_id TEXT PRIMARY KEY,\n"
    "  customer_id TEXT NOT NULL REFERENCES customers(customer_id),\n"
    "  order_status TEXT NOT NULL,\n"
    "  order_purchase_timestamp TEXT,\n"
    "  order_approved_at TEXT,\n"
    "  order_delivered_carrier_date TEXT,\n"
    "  order_delivered_customer_date TEXT,\n"
    "  order_estimated_delivery_date TEXT\n"
    ");\n"
    "-- price_outlier = 1: price > mean + 3 sd over all items (kept, but left out of\n"
    "-- the interactions view). NOT NULL ON CONFLICT REPLACE turns an explicit NULL\n"
    "-- into the default, so a plain 7-column CSV import also fits this table.\n"
    "CREATE TABLE order_items (\n"
    "  order_id TEXT NOT NULL REFERENCES orders(order_id),\n"
    "  order_item_id INTEGER NOT NULL,\n"
    "  product_id TEXT NOT NULL REFERENCES products(product_id),\n"
    "  seller_id TEXT NOT NULL REFERENCES sellers(seller_id),\n"
    "  shipping_limit_date TEXT,\n"
    "  price REAL NOT NULL,\n"
    "  freight_value REAL,\n"
    "  price_outlier INTEGER NOT NULL ON CONFLICT REPLACE DEFAULT 0,\n"
    "  PRIMARY KEY (order_id, order_item_id)\n"
    ");\n"
    "CREATE TABLE order_payments (\n"
    "  order_id TEXT NOT NULL REFERENCES orders(order_id),\n"
    "  payment_sequential INTEGER NOT NULL,\n"
    "  payment_type TEXT,\n"
    "  payment_installments INTEGER,\n"
    "  payment_value REAL,\n"
    "  PRIMARY KEY (order_id, payment_sequential)\n"
    ");\n"
    "CREATE TABLE order_reviews (\n"
    "  review_id TEXT NOT NULL,\n"
    "  order_id TEXT NOT NULL REFERENCES orders(order_id),\n"
    "  review_score INTEGER,\n"
    "  review_comment_title TEXT,\n"
    "  review_comment_message TEXT,\n"
    "  review_creation_date TEXT,\n"
    "  review_answer_timestamp TEXT,\n"
    "  PRIMARY KEY (review_id, order_id)\n"
    ");\n"
    "CREATE TABLE geolocation (\n"
    "  geolocation_zip_code_prefix TEXT,\n"
    "  geolocation_lat REAL,\n"
    "  geolocation_lng REAL,\n"
    "  geolocation_city TEXT,\n"
    "  geolocation_state TEXT\n"
    ");\n"
    "-- One row per cleaning rule and file: what ingest changed and how often.\n"
    "CREATE TABLE ingest_report (\n"
    "  file TEXT NOT NULL,\n"
    "  rule TEXT NOT NULL,\n"
    "  count INTEGER NOT NULL,\n"
    "  detail TEXT\n"
    ");\n"
    "-- ingested_at, source_dir, dataset ('sample' or 'real'), sample_seed, ...\n"
    "CREATE TABLE meta (\n"
    "  key TEXT PRIMARY KEY,\n"
    "  value TEXT\n"
    ");\n"
    "CREATE VIEW product_catalog AS\n"
    "  SELECT p.product_id AS product_id,\n"
    "         p.product_category_name AS category_pt,\n"
    "         COALESCE(t.product_category_name_english, p.product_category_name) AS category,\n"
    "         p.product_name_lenght AS name_length,\n"
    "         p.product_description_lenght AS description_length,\n"
    "         p.product_photos_qty AS photos_qty,\n"
    "         p.product_weight_g AS weight_g,\n"
    "         p.product_length_cm AS length_cm,\n"
    "         p.product_height_cm AS height_cm,\n"
    "         p.product_width_cm AS width_cm\n"
    "  FROM products p\n"
    "  LEFT JOIN product_category_name_translation t\n"
    "         ON t.product_category_name = p.product_category_name;\n"
    "-- One row per purchased item a recommender may learn from.\n"
    "CREATE VIEW interactions AS\n"
    "  SELECT c.customer_unique_id AS user_id,\n"
    "         i.product_id AS product_id,\n"
    "         o.order_purchase_timestamp AS ts,\n"
    "         i.price AS price,\n"
    "         c.customer_state AS state,\n"
    "         o.order_id AS order_id,\n"
    "         c.customer_id AS customer_id\n"
    "  FROM order_items i\n"
    "  JOIN orders o ON o.order_id = i.order_id\n"
    "  JOIN customers c ON c.customer_id = o.customer_id\n"
    "  WHERE o.order_status NOT IN ('canceled', 'unavailable')\n"
    "    AND i.price_outlier = 0\n"
    "    AND o.order_purchase_timestamp IS NOT NULL;\n";

static const char SCHEMA_INDEXES[] =
    "CREATE INDEX customers_unique_id ON customers(customer_unique_id);\n"
    "CREATE INDEX customers_state ON customers(customer_state);\n"
    "CREATE INDEX orders_customer_id ON orders(customer_id);\n"
    "CREATE INDEX orders_purchase_ts ON orders(order_purchase_timestamp);\n"
    "CREATE INDEX order_items_product_id ON order_items(product_id);\n"
    "CREATE INDEX order_items_seller_id ON order_items(seller_id);\n"
    "CREATE INDEX order_reviews_order_id ON order_reviews(order_id);\n"
    "CREATE INDEX products_category ON products(product_category_name);\n"
    "CREATE INDEX geolocation_zip ON geolocation(geolocation_zip_code_prefix);\n";

const char *schema_sql(void)
{
    return SCHEMA_TABLES;
}

const char *schema_index_sql(void)
{
    return SCHEMA_INDEXES;
}

int schema_table_index_sql(const char *table, char *out, size_t outlen)
{
    char on[96];
    size_t used = 0;
    snprintf(on, sizeof on, " ON %s(", table);
    if (!outlen)
        return -1;
    out[0] = '\0';
    for (const char *line = SCHEMA_INDEXES; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
        const char *hit = strstr(line, on);
        if (hit && hit < line + len) {
            if (used + len + 1 > outlen)
                return -1;
            memcpy(out + used, line, len);
            used += len;
            out[used] = '\0';
        }
        line += len;
    }
    return 0;
}
