/* checksum.h - the FNV-1a 64-bit checksum that guards saved state (optimizer state blobs,
 * training checkpoints). It catches truncation and corruption, not tampering: it is not a MAC.
 * Internal: libwarmup.so carries it hidden (not part of the API). */
#ifndef WU_CHECKSUM_H
#define WU_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* The FNV-1a 64 hash of the n bytes at p. */
uint64_t wu_fnv1a(const unsigned char *p, size_t n);

#endif
