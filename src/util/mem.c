#include "util/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

int mem_grow(void **arr, size_t size, size_t need, size_t *cap, size_t max)
{
    if (need <= *cap)
        return 0;
    if (need > max || size == 0 || need > SIZE_MAX / size)
        return -1;
    size_t nc = *cap ? *cap : 16;
    while (nc < need)
        nc = nc > max / 2 ? max : nc * 2;
    if (nc > max) /* a first size of 16 may be over a small max */
        nc = max;
    void *p = realloc(*arr, nc * size);
    if (!p)
        return -1;
    *arr = p;
    *cap = nc;
    return 0;
}

void *mem_big_alloc(size_t n)
{
    const size_t huge = (size_t)2 << 20;
    if (n < huge)
        return malloc(n);
    size_t r = (n + huge - 1) / huge * huge;
    void *p = aligned_alloc(huge, r);
    if (p)
        madvise(p, r, MADV_HUGEPAGE);
    return p;
}
