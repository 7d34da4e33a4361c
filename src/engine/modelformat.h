/* The binary format of a stored model: a versioned, little-endian
 * serialisation of struct model (format MS_FORMAT) that src/engine/modelstore.c
 * keeps in the models table. Reading is bounds- and index-checked, so a
 * truncated or tampered blob is an error, never a crash. */
#ifndef RECSYS_ENGINE_MODELFORMAT_H
#define RECSYS_ENGINE_MODELFORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/algo.h"

/* 2: user neighbour lists without similarities, binary ids; 3: more
 * algorithm parameters, the same-seller source (format 2 blobs still load) */
#define MS_FORMAT   3
#define MS_MAX_BLOB ((size_t)16 << 30) /* 16 GiB: refuse anything larger */

/* Writes the whole model into w, in any of its modes (in memory, counting
 * only, or streaming to a sink). */
void modelformat_write(const struct model *m, struct blob_writer *w);

/* Serialises m into a malloc'd blob. ERR_NOMEM when it is too large. */
int modelformat_serialize(const struct model *m, uint8_t **blob, size_t *len, char *err,
                          size_t errlen);

/* Parses a blob into *m (which then owns everything it needs); ERR_CORRUPT
 * with err when it is malformed, ERR_NOMEM when memory runs out. */
int modelformat_deserialize(const uint8_t *blob, size_t len, struct model *m, char *err,
                            size_t errlen);

#endif
