/* checksum.c - FNV-1a 64 (see checksum.h). */
#include "checksum.h"

uint64_t wu_fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}
