/* The models list (GET /api/v1/models) as the region loops serve it without
 * a round trip through the bio thread: the rendered list, rebuilt on the bio
 * thread after every job that may change it (list, activate, rollback,
 * reload), together with a fingerprint of the database's committed state
 * read before the list was: the file change counter of the database header
 * and, in WAL mode, the wal-index header of the -shm file (both move with
 * every commit). A loop serves the copy only when the files are the same
 * inodes with the same fingerprint, so a version trained, activated or
 * removed by any other process (the CLI, a store poller) is never hidden:
 * the request then takes the bio path, which rebuilds the copy. Any write
 * to the database (feedback events too) sends the next list that way. */
#ifndef RECSYS_NET_MODELSNAP_H
#define RECSYS_NET_MODELSNAP_H

#include "engine/modelstore.h"
#include "util/sbuf.h"

struct modelsnap;

/* An empty copy for the database at db_path; NULL when out of memory. */
struct modelsnap *modelsnap_new(const char *db_path);
void modelsnap_free(struct modelsnap *s);

/* Bio thread, a list job: modelsnap_begin before reading the list (it notes
 * the file's identity and counter), modelsnap_end with the list read (NULL:
 * the read failed, the copy is dropped). */
void modelsnap_begin(struct modelsnap *s);
void modelsnap_end(struct modelsnap *s, const struct modelstore_list *l);
/* Bio thread, after a job that may have changed the versions: begin, read
 * the list, end. */
void modelsnap_refresh(struct modelsnap *s);

/* A loop: appends {"models":[…],"active":N|null (what render_models gives,
 * as cJSON prints it, without the closing brace) and returns 0 when the copy
 * is current; -1 (nothing appended) when there is none or the database
 * changed since. */
int modelsnap_get(struct modelsnap *s, struct sbuf *out);

#endif
