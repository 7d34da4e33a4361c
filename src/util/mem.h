/* Allocation helpers shared by every layer: one way to grow an array, one way
 * to allocate the big arrays of a model. */
#ifndef RECSYS_UTIL_MEM_H
#define RECSYS_UTIL_MEM_H

#include <stddef.h>

/* Makes room in *arr (elements of `size` bytes, *cap of them allocated) for
 * at least `need` elements, doubling from 16. Refuses to grow past `max`
 * elements (every growable array has a hard maximum, as curl's dynbuf does).
 * Returns 0, or -1 when need > max or memory runs out; *arr and *cap are
 * unchanged on failure, so the caller still owns the old array. */
int mem_grow(void **arr, size_t size, size_t need, size_t *cap, size_t max);

/* malloc for arrays of many megabytes: 2 MiB aligned and advised as huge
 * pages, which halves TLB misses in the similarity loops. Free with free(). */
void *mem_big_alloc(size_t n);

#endif
