/* The manifest of one model version in a model store (PREFIX/vN/manifest.json):
 * what the version is (algorithm, params, cutoff, metrics, created_at) and
 * the size and sha256 of each part, so a region can verify what it
 * downloaded before serving it. JSON through cJSON; no I/O here.
 *
 *   {"format": 1, "version": 7, "algorithm": "hybrid", "params": {...},
 *    "cutoff": "2018-06-01", "metrics": {...}, "created_at": "...",
 *    "train_seconds": 1.2, "model_sha256": "...",
 *    "parts": [{"name": "artifact.db", "size": 123, "sha256": "..."}]}
 *
 * "format" is the layout's version: a reader refuses any format it does not
 * know (a newer publisher's manifest) rather than guess. */
#ifndef RECSYS_STORE_MANIFEST_H
#define RECSYS_STORE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#define MANIFEST_FORMAT    1 /* the one format this build writes and reads */
#define MANIFEST_MAX_PARTS 8
#define MANIFEST_MAX_BYTES (1 << 20) /* a larger manifest is refused */
#define MANIFEST_ARTIFACT  "artifact.db"

struct manifest_part {
    char name[64];
    uint64_t size;
    char sha256[65];
};

struct manifest {
    int format;
    int64_t version;
    char algorithm[32];
    char cutoff[20]; /* "" for all data */
    char created_at[24];
    double train_seconds;
    char model_sha256[65]; /* the model blob's own checksum (models.sha256) */
    char *params_json;     /* malloc'd JSON object text */
    char *metrics_json;    /* malloc'd JSON object text */
    int n_parts;
    struct manifest_part parts[MANIFEST_MAX_PARTS];
};

/* m as JSON text (malloc'd, NUL-terminated), or NULL when out of memory. */
char *manifest_to_json(const struct manifest *m);

/* Parses len bytes of text into *m (free with manifest_free). source names
 * the object in messages ("s3://bucket/prefix/v7/manifest.json").
 * ERR_CORRUPT naming source and the field when it is not a well-formed
 * manifest; ERR_INVALID when its format is not MANIFEST_FORMAT (the sentence
 * says which format it has and which this build reads). */
int manifest_parse(const char *text, size_t len, const char *source, struct manifest *m, char *err,
                   size_t errlen);

/* Frees the JSON strings of m (not m); safe twice. */
void manifest_free(struct manifest *m);

/* The part called name, or NULL. */
const struct manifest_part *manifest_find(const struct manifest *m, const char *name);

#endif
