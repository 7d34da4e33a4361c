/* The embedded OpenAPI 3.0 document of the HTTP API and a self-contained
 * HTML page that renders it (no external assets). */
#ifndef RECSYS_NET_OPENAPI_H
#define RECSYS_NET_OPENAPI_H

#include <stddef.h>

/* Static, NUL-terminated; *len gets the length. */
const char *openapi_json(size_t *len);
/* The /docs page with the document inlined; built once, thread-safe. */
const char *openapi_docs_html(size_t *len);

#endif
