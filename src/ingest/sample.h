/* Deterministic Olist-shaped sample data, so the product runs without the
 * real (licensed) dataset. Writes the nine files with the original names,
 * headers and quoting style; the same (customers, seed) gives byte-identical
 * files on every machine (own PRNG, no rand(), no clock). */
#ifndef RECSYS_INGEST_SAMPLE_H
#define RECSYS_INGEST_SAMPLE_H

#include <stddef.h>

#define SAMPLE_DEFAULT_CUSTOMERS 5000
#define SAMPLE_MAX_CUSTOMERS     10000000 /* about 100x Olist, for bench/train */

/* Creates out_dir if needed and writes the nine .csv files plus
 * ingest.h's INGEST_SAMPLE_MARKER. customers: 10..SAMPLE_MAX_CUSTOMERS
 * people. Returns 0, or -1 with err naming the file that could not be
 * written. */
int sample_generate(const char *out_dir, int customers, unsigned seed, char *err, size_t errlen);

#endif
