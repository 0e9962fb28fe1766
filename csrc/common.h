/* common.h - private helpers shared by the kernel files (not installed). */
#ifndef RAMPS_COMMON_H
#define RAMPS_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ramps.h" /* RAMPS_MAX_COUNT, whatever order a file includes the two in */

#ifdef _OPENMP
#include <omp.h>
#endif

/* Non-zero for a count above RAMPS_MAX_COUNT (ramps.h): no buffer holds it
 * (the loops index bytes with ptrdiff_t), so such a length can only come from
 * a wrong shape or a size computation that wrapped around. */
static inline int ramps_too_many(size_t n) { return n > RAMPS_MAX_COUNT; }

/* *r = a * b; 0 when the product overflows size_t (*r is then untouched). */
static inline int ramps_mul(size_t a, size_t b, size_t *r) {
    if (b && a > SIZE_MAX / b) return 0;
    *r = a * b;
    return 1;
}

/* Below this many elements a kernel runs on one thread: spawning costs more.
 * The fuzz build (tests/fuzz) lowers this and the chunk and block sizes below
 * so that small inputs cross every chunk and block boundary. */
#ifndef RAMPS_PAR_MIN
#define RAMPS_PAR_MIN ((size_t)1 << 15)
#endif
#ifndef RAMPS_CHUNK_MIN
#define RAMPS_CHUNK_MIN 4096
#endif

static inline int ramps_nthreads(int threads, size_t n) {
#ifdef _OPENMP
    if (n < RAMPS_PAR_MIN) return 1;
    return threads > 0 ? threads : omp_get_max_threads();
#elif defined(RAMPS_FUZZ_SPLIT)
    /* fuzz build without OpenMP: take the multi-thread paths (the parallel
     * loops then run their chunks one after another) */
    if (n < RAMPS_PAR_MIN) return 1;
    return threads > 1 ? threads : 1;
#else
    (void)threads;
    (void)n;
    return 1;
#endif
}

/* Parallel loops hand out chunks dynamically: on a shared machine a thread
 * that is descheduled does not hold the others up, and since every element
 * (or block) is computed the same way by any thread, results do not depend
 * on the split.  Chunks are 4096..65536 elements, about 8 per thread (the
 * fuzz build lowers the minimum). */
static inline size_t ramps_chunk(size_t n, int nt) {
    size_t c = n / ((size_t)(nt > 0 ? nt : 1) * 8);
    if (c < RAMPS_CHUNK_MIN) c = RAMPS_CHUNK_MIN;
    if (c > 65536) c = 65536;
    return (c + 63) & ~(size_t)63;
}

/* Run the statement CALL, which uses `lo` and `hi`, over [0, n): in one go when
 * nt <= 1, otherwise in ramps_chunk-sized pieces handed out dynamically to nt
 * threads, so a descheduled thread does not hold up the rest.  Every element
 * is computed the same way whatever the split, so results are bit-identical
 * for any thread count. */
#define RAMPS_FOR_CHUNKS(n, nt, CALL)                                          \
    do {                                                                       \
        const size_t n_ = (n);                                                 \
        const int nt_ = (nt);                                                  \
        if (nt_ <= 1) {                                                        \
            const size_t lo = 0, hi = n_;                                      \
            CALL;                                                              \
            break;                                                             \
        }                                                                      \
        const size_t chunk_ = ramps_chunk(n_, nt_);                            \
        const ptrdiff_t nchunk_ = (ptrdiff_t)((n_ + chunk_ - 1) / chunk_);     \
        _Pragma("omp parallel for schedule(dynamic, 1) num_threads(nt_)")      \
        for (ptrdiff_t c_ = 0; c_ < nchunk_; c_++) {                           \
            const size_t lo = (size_t)c_ * chunk_;                             \
            const size_t hi = lo + chunk_ < n_ ? lo + chunk_ : n_;             \
            CALL;                                                              \
        }                                                                      \
    } while (0)

/* x86-64 always has SSE2.  The kernels use it directly only where GCC's
 * auto-vectoriser cannot: 32/64-bit byte swaps (pshufb is SSSE3, not in the
 * x86-64 baseline) and sqrt (vectorised only with -fno-math-errno).  Every
 * SSE2 path has a plain C twin computing the same bits. */
#if defined(__SSE2__) && !defined(RAMPS_NO_SIMD)
#include <emmintrin.h>
#define RAMPS_SSE2 1
/* bswap of each 32-bit lane: swap bytes within 16-bit lanes, then the halves */
static inline __m128i ramps_bswap32_x4(__m128i v) {
    v = _mm_or_si128(_mm_slli_epi16(v, 8), _mm_srli_epi16(v, 8));
    v = _mm_shufflelo_epi16(v, _MM_SHUFFLE(2, 3, 0, 1));
    return _mm_shufflehi_epi16(v, _MM_SHUFFLE(2, 3, 0, 1));
}
/* bswap of each 64-bit lane */
static inline __m128i ramps_bswap64_x2(__m128i v) {
    v = _mm_or_si128(_mm_slli_epi16(v, 8), _mm_srli_epi16(v, 8));
    v = _mm_shufflelo_epi16(v, _MM_SHUFFLE(0, 1, 2, 3));
    return _mm_shufflehi_epi16(v, _MM_SHUFFLE(0, 1, 2, 3));
}
#else
#define RAMPS_SSE2 0
#endif

static inline uint16_t ld_be16(const uint8_t *p) {
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}
static inline uint32_t ld_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t ld_be64(const uint8_t *p) {
    return (uint64_t)ld_be32(p) << 32 | ld_be32(p + 4);
}
static inline uint16_t ld_le16(const uint8_t *p) {
    return (uint16_t)((uint16_t)p[1] << 8 | p[0]);
}
static inline uint32_t ld_le32(const uint8_t *p) {
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
static inline uint64_t ld_le64(const uint8_t *p) {
    return (uint64_t)ld_le32(p + 4) << 32 | ld_le32(p);
}
/* Non-zero on a little-endian host (a constant once compiled). */
static inline int ramps_host_little(void) {
    const uint16_t one = 1;
    uint8_t first;
    memcpy(&first, &one, 1);
    return first == 1;
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

/* binary16 -> binary32 and back without branches, so that GCC vectorises the
 * loops that call them: every case is computed and one selected with masks
 * (a ternary would let GCC sink the float arithmetic into a branch, which
 * it then may not if-convert under the default -ftrapping-math). */
static inline uint32_t sel32(uint32_t cond, uint32_t a, uint32_t b) {
    const uint32_t m = 0u - cond; /* all ones when cond is 1 */
    return (a & m) | (b & ~m);
}

/* Exact: normal numbers rebias the exponent (an integer add), subnormals are
 * mant * 2**-24 (exact in float), inf/NaN keep their payload. */
static inline float h2f(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t em = h & 0x7fffu;
    const uint32_t normal = (em << 13) + (112u << 23);
    const uint32_t infnan = (em << 13) | 0x7f800000u;
    const uint32_t sub = f32_bits((float)(int32_t)em * 0x1p-24f);
    uint32_t r = sel32(em >= 0x7c00u, infnan, normal);
    r = sel32(em < 0x0400u, sub, r);
    return bits_f32(sign | r);
}

/* Round half to even. */
static inline uint16_t f2h(float f) {
    const uint32_t u = f32_bits(f);
    const uint32_t sign = (u >> 16) & 0x8000u;
    const uint32_t x = u & 0x7fffffffu;
    /* inf or NaN; a NaN keeps its top payload bits and stays a NaN */
    uint32_t nan = 0x7c00u | ((x & 0x7fffffu) >> 13);
    nan |= (uint32_t)(x > 0x7f800000u) & (uint32_t)(nan == 0x7c00u);
    /* normal: drop 13 mantissa bits, round half to even, rebias exponent;
     * a carry out of the mantissa bumps the exponent (up to inf) correctly */
    const uint32_t normal = ((x + 0xfffu + ((x >> 13) & 1u)) >> 13) - (112u << 10);
    /* half subnormal range (|f| < 2**-14): |f| * 2**24 (exact) + 2**23 rounds
     * once to an integer in the current mode, like nearbyintf; the integer
     * 0..1024 is the half's bit pattern (1024: the smallest normal) */
    const uint32_t sub = f32_bits(bits_f32(x) * 0x1p24f + 0x1p23f) - 0x4b000000u;
    uint32_t h = sel32(x < 0x38800000u, sub, normal);
    h = sel32(x >= 0x47800000u, 0x7c00u, h); /* >= 65536: overflow */
    h = sel32(x >= 0x7f800000u, nan, h);
    return (uint16_t)(sign | h);
}

#endif
