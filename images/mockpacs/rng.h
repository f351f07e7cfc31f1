/* rng.h: deterministic numbers for the study generator: every value is a
 * pure function of (seed, what, index), so the same seed gives the same
 * studies in any order of generation and on any machine. */
#ifndef MOCK_RNG_H
#define MOCK_RNG_H

#include <stdint.h>

/* A well-mixed 64-bit value for (seed, a, b, c) (splitmix64 finaliser). */
static inline uint64_t rng_hash(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t x = seed ^ (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full) ^ (c * 0x165667B19E3779F9ull);
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

/* Uniform in [0, n). */
static inline uint32_t rng_below(uint64_t h, uint32_t n) { return n ? (uint32_t)(h % n) : 0; }

#endif
