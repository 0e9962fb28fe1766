/* fuzz_common.h - parameters from the front of a fuzz input (in the manner of
 * LLVM's FuzzedDataProvider, in C) and small helpers shared by the harnesses.
 *
 * Every value is taken from the front of the input, little-endian, and a
 * value the input has run out for reads as zero bytes, so any input (even
 * an empty one) decodes to one set of parameters.  replay.py mirrors these
 * rules so that the regression inputs also replay through the Python
 * wrappers.  A broken invariant calls FUZZ_CHECK's abort(), which libFuzzer
 * reports as a crash with the input that caused it. */
#ifndef RAMPS_FUZZ_COMMON_H
#define RAMPS_FUZZ_COMMON_H

#include "ramps.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                         \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, \
                    #cond);                                                      \
            abort();                                                             \
        }                                                                        \
    } while (0)

typedef struct {
    const uint8_t *p;
    size_t n;
} fdp;

static inline uint64_t fdp_bytes(fdp *f, int k) {
    uint64_t v = 0;
    for (int i = 0; i < k; i++) {
        const uint64_t b = f->n ? f->p[0] : 0;
        if (f->n) f->p++, f->n--;
        v |= b << (8 * i);
    }
    return v;
}
static inline uint8_t fdp_u8(fdp *f) { return (uint8_t)fdp_bytes(f, 1); }
static inline uint16_t fdp_u16(fdp *f) { return (uint16_t)fdp_bytes(f, 2); }
static inline uint32_t fdp_u32(fdp *f) { return (uint32_t)fdp_bytes(f, 4); }
static inline uint64_t fdp_u64(fdp *f) { return fdp_bytes(f, 8); }

/* A double that is often one the kernels treat specially: one byte picks a
 * value from the table, or (7 of 16) the next 8 bytes as raw bits (NaN, inf,
 * subnormals included). */
static inline double fdp_real(fdp *f) {
    static const double special[9] = {1.0, 0.0, 32768.0, 2147483648.0, -128.0,
                                      -1.0, 0.5, 1e-3, 9223372036854775808.0};
    const uint8_t k = fdp_u8(f) % 16;
    if (k < 9) return special[k];
    const uint64_t u = fdp_u64(f);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

/* threads argument: 1..4 (the fuzz build runs chunked paths serially) */
static inline int fdp_threads(fdp *f) { return 1 + fdp_u8(f) % 4; }

/* An exact-size heap copy of the rest of the input placed `misalign` bytes
 * into its allocation, so that ASan sees any read past the end; *base is
 * the allocation to free.  Consumes the whole rest. */
static inline uint8_t *fdp_rest_copy(fdp *f, size_t misalign, size_t *n, uint8_t **base) {
    *n = f->n;
    *base = (uint8_t *)malloc(misalign + f->n + 1);
    if (!*base) abort();
    if (f->n) memcpy(*base + misalign, f->p, f->n);
    f->p += f->n;
    f->n = 0;
    return *base + misalign;
}

/* Exact-size allocation (at least 1 byte so that malloc never returns NULL
 * for a zero size), filled with a pattern the kernel must overwrite. */
static inline void *fuzz_alloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) abort();
    memset(p, 0xA5, bytes);
    return p;
}

/* Same value, or both NaN (payloads may differ between routes). */
static inline int same_f64(double a, double b) {
    return (a != a && b != b) || (a == b && signbit(a) == signbit(b));
}
static inline int same_f32(float a, float b) {
    return (a != a && b != b) || (a == b && signbit(a) == signbit(b));
}

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }
static inline uint64_t load_uint(const uint8_t *p, int width, int little) {
    uint64_t v = 0;
    for (int i = 0; i < width; i++) v = v << 8 | p[little ? width - 1 - i : i];
    return v;
}

#endif
