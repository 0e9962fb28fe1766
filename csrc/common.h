/* common.h - private helpers shared by the kernel files (not installed). */
#ifndef RAMPS_COMMON_H
#define RAMPS_COMMON_H

#include <stdint.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* Below this many elements a kernel runs on one thread: spawning costs more. */
#define RAMPS_PAR_MIN ((size_t)1 << 15)

static inline int ramps_nthreads(int threads, size_t n) {
#ifdef _OPENMP
    if (n < RAMPS_PAR_MIN) return 1;
    return threads > 0 ? threads : omp_get_max_threads();
#else
    (void)threads;
    (void)n;
    return 1;
#endif
}

static inline uint16_t ld_be16(const uint8_t *p) {
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}
static inline uint32_t ld_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t ld_be64(const uint8_t *p) {
    return (uint64_t)ld_be32(p) << 32 | ld_be32(p + 4);
}
static inline void st_be16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void st_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void st_be64(uint8_t *p, uint64_t v) {
    st_be32(p, (uint32_t)(v >> 32));
    st_be32(p + 4, (uint32_t)v);
}
static inline float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static inline uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static inline double bits_f64(uint64_t u) {
    double f;
    memcpy(&f, &u, 8);
    return f;
}
static inline uint64_t f64_bits(double f) {
    uint64_t u;
    memcpy(&u, &f, 8);
    return u;
}

#endif
