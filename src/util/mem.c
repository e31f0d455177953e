/* mem.c - buffers allocated with their pages mapped (mem.h). */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "mem.h"

void *wu_calloc_mapped(size_t n, size_t size)
{
    /* checked here, not left to calloc: a sanitizer build aborts on calloc's own overflow */
    if (size && n > SIZE_MAX / size) return NULL;
    unsigned char *p = calloc(n, size);
    if (!p) return NULL;
    long page = sysconf(_SC_PAGESIZE);
    size_t step = page > 0 ? (size_t)page : 4096, len = n * size;
    /* a write, not a read: reading a fresh page maps the shared zero page, and the first write
       faults again; volatile keeps the compiler from dropping stores of the zero calloc made */
    volatile unsigned char *b = p;
    for (size_t i = 0; i < len; i += step) b[i] = 0;
    return p;
}
