/* A model store on S3 at s3://BUCKET/PREFIX: versions published by `train
 * --publish` / `models publish`, read by regions with `model_store` set.
 *
 * Layout (every version immutable once its manifest exists):
 *   PREFIX/vN/artifact.db     the artifact (engine/artifact.h), uploaded first
 *   PREFIX/vN/manifest.json   its manifest (manifest.h), uploaded after it
 *   PREFIX/active.json        the pointer (pointer.h), rewritten last
 * so a version whose upload was cut short has no manifest, and a version is
 * never active before both its parts are whole. Two writers of the pointer
 * at once: the last one wins (activations are rare, made by people).
 *
 * One repo is one S3 client: use it from one thread at a time. Errors are
 * negative enum err_code values with a sentence naming the URL (s3.h). */
#ifndef RECSYS_STORE_MODELREPO_H
#define RECSYS_STORE_MODELREPO_H

#include <stddef.h>
#include <stdint.h>

#include "store/manifest.h"
#include "store/pointer.h"
#include "store/s3config.h"

struct modelrepo;

/* Parses url (s3://BUCKET/PREFIX), reads the AWS_* environment and makes a
 * client. No request is made. ERR_INVALID naming the URL or variable. */
int modelrepo_open(const char *url, struct modelrepo **out, char *err, size_t errlen);
void modelrepo_close(struct modelrepo *r); /* NULL is fine */

/* "s3://BUCKET/PREFIX" as parsed, and where it lives. */
const char *modelrepo_url(const struct modelrepo *r);
const struct s3_location *modelrepo_location(const struct modelrepo *r);

/* Uploads the artifact at artifact_path as version m->version, then its
 * manifest (m's metadata; its parts are filled here with the artifact's size
 * and sha256), then, when activate, the pointer. A version already in the
 * store with the same model (model_sha256) is not uploaded again (*existed
 * = 1); with another model it is ERR_CONFLICT: versions are immutable. */
int modelrepo_publish(struct modelrepo *r, const char *artifact_path, struct manifest *m,
                      int activate, int *existed, char *err, size_t errlen);

/* The pointer; an absent one is no error (p->active = 0). */
int modelrepo_read_pointer(struct modelrepo *r, struct pointer *p, char *err, size_t errlen);

/* The manifest of version v (free with manifest_free). ERR_NOT_FOUND when
 * the version has none (unpublished, or its upload was cut short). */
int modelrepo_read_manifest(struct modelrepo *r, int64_t v, struct manifest *m, char *err,
                            size_t errlen);

/* The versions that have a manifest, ascending, malloc'd in *out (free()). */
int modelrepo_list(struct modelrepo *r, int64_t **out, int *n, char *err, size_t errlen);

/* Makes version v active: its manifest must parse and its artifact be in
 * the store at the manifest's size. *changed = 0 when it was active. */
int modelrepo_activate(struct modelrepo *r, int64_t v, int *changed, char *err, size_t errlen);

/* Back to the version active before the current one (*now). ERR_CONFLICT
 * when there is none. */
int modelrepo_rollback(struct modelrepo *r, int64_t *now, char *err, size_t errlen);

/* Downloads part `name` of manifest m into path (created or truncated; the
 * caller picks a temporary name) and checks its size and sha256 against m.
 * ERR_CORRUPT (path removed) when they differ, naming the object. */
int modelrepo_download(struct modelrepo *r, const struct manifest *m, const char *name,
                       const char *path, char *err, size_t errlen);

/* The sha256 (hex) and size of the file at path, read in blocks. ERR_FAIL
 * naming the file when it cannot be read. */
int modelrepo_file_sha256(const char *path, char hex[65], uint64_t *size, char *err, size_t errlen);

#endif
