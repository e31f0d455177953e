/* mem.h - buffers that a hot loop uses at once: allocated with their pages mapped up front.
 * Internal: libwarmup.so carries it hidden (the optimizer's state), the engine uses it for the
 * models' gradients and activations. */
#ifndef WU_MEM_H
#define WU_MEM_H

#include <stddef.h>

/* calloc(n, size) with every page already mapped. The kernel maps a fresh allocation lazily,
 * at the first write to each page; on the virtual machines this project is measured on such a
 * fault costs 15-20 us (40 MB of 4 KiB pages: 150-220 ms), so a model's first training step
 * paid for all of its buffers, several steps' worth (issue 19). Writing one zero per page here
 * moves that cost to where the buffer is made. Returns NULL when out of memory (or when n *
 * size overflows); release with free(). */
void *wu_calloc_mapped(size_t n, size_t size);

#endif
