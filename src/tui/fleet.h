/* The regions seen together: which model version the fleet serves and which
 * regions serve another one (a rollout stuck half way, a region on its own
 * database or store). Pure functions over struct tui_data, called by the
 * poller after every health check and read by the views. */
#ifndef RECSYS_TUI_FLEET_H
#define RECSYS_TUI_FLEET_H

#include <stddef.h>

#include "tui/poller.h"

/* Sets d->fleet_version, d->n_versions and each region's version_odd from
 * the regions that count: a health answer read, not DOWN, a model loaded
 * (version > 0). The fleet version is the one most of them serve; a tie
 * goes to the highest (the newest is where a rollout is heading). A region
 * is odd when it counts and serves another version. With fewer than two
 * regions counting nothing is odd. */
void fleet_versions(struct tui_data *d);

/* The alert text when versions differ: "us-east v3, eu-west v1; the others
 * v2" (or "...; us-west v2" when one region is left), "" when they agree. */
void fleet_versions_alert(const struct tui_data *d, char *out, size_t n);

/* The last w bytes of s, with "..." in front when it is cut: a path or an
 * s3:// URL keeps its informative end ("...prefix/v7"). w < 4: the first w
 * bytes of "...". */
void fleet_tail(const char *s, int w, char *out, size_t n);

#endif
