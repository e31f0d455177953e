/* rng.h - a small, fast, seedable random generator (xoshiro256** seeded by splitmix64) with
 * uniform and normal draws: the same seed gives the same stream on every machine. */
#ifndef WU_RNG_H
#define WU_RNG_H

#include <stdint.h>

typedef struct wu_rng {
    uint64_t s[4];
} wu_rng;

void wu_rng_seed(wu_rng *r, uint64_t seed);
uint64_t wu_rng_u64(wu_rng *r);
double wu_rng_uniform(wu_rng *r);          /* [0, 1) with 53 random bits */
double wu_rng_normal(wu_rng *r);           /* N(0, 1), Box-Muller */
uint32_t wu_rng_below(wu_rng *r, uint32_t n); /* uniform in [0, n), unbiased */

#endif
