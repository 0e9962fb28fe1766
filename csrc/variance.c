/* variance.c - ERR = sqrt(sum of variance arrays), float32 and float16. */
#include <math.h>

#include "ramps.h"
#include "common.h"

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

float ramps_half_to_float(uint16_t h) { return h2f(h); }

uint16_t ramps_float_to_half(float f) { return f2h(f); }

/* dst[j] = sqrt(src[j]) for j < m (dst may be src).  sqrtf is correctly
 * rounded, so SSE2's sqrtps gives the same bits (NaN for negative sums, as
 * numpy); GCC does not vectorise sqrtf itself without -fno-math-errno. */
static inline void sqrt_block(float *dst, const float *src, size_t m) {
    size_t j = 0;
#if RAMPS_SSE2
    for (; j + 4 <= m; j += 4) _mm_storeu_ps(dst + j, _mm_sqrt_ps(_mm_loadu_ps(src + j)));
#endif
    for (; j < m; j++) dst[j] = sqrtf(src[j]);
}

static void err_f32_range(const float *a, const float *b, const float *c, float *out,
                          size_t lo, size_t hi) {
    size_t i = lo;
#if RAMPS_SSE2
    if (c) {
        for (; i + 4 <= hi; i += 4) {
            const __m128 s = _mm_add_ps(_mm_add_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)),
                                        _mm_loadu_ps(c + i));
            _mm_storeu_ps(out + i, _mm_sqrt_ps(s));
        }
    } else {
        for (; i + 4 <= hi; i += 4)
            _mm_storeu_ps(out + i,
                          _mm_sqrt_ps(_mm_add_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i))));
    }
#endif
    for (; i < hi; i++) {
        float s = a[i] + b[i];
        if (c) s = s + c[i];
        out[i] = sqrtf(s);
    }
}

/* Blocks of float16 work: sum into float32 (vectorised), root, convert out. */
#define F16_BLOCK 1024

static void err_f16_range(const uint16_t *a, const uint16_t *b, const uint16_t *c,
                          float *out_f32, uint16_t *out_f16, size_t lo, size_t hi) {
    float buf[F16_BLOCK];
    for (size_t b0 = lo; b0 < hi; b0 += F16_BLOCK) {
        const size_t m = hi - b0 < F16_BLOCK ? hi - b0 : F16_BLOCK;
        const uint16_t *pa = a + b0, *pb = b + b0;
        float *s = out_f32 ? out_f32 + b0 : buf;
        if (c) {
            const uint16_t *pc = c + b0;
            for (size_t j = 0; j < m; j++) s[j] = (h2f(pa[j]) + h2f(pb[j])) + h2f(pc[j]);
        } else {
            for (size_t j = 0; j < m; j++) s[j] = h2f(pa[j]) + h2f(pb[j]);
        }
        sqrt_block(s, s, m);
        if (!out_f32) {
            uint16_t *o = out_f16 + b0;
            for (size_t j = 0; j < m; j++) o[j] = f2h(buf[j]);
        }
    }
}

int ramps_err_f32(const float *a, const float *b, const float *c, float *out,
                  size_t n, int threads) {
    if (n && (!a || !b || !out)) return RAMPS_EINVAL;
    const int nt = ramps_nthreads(threads, n);
    if (nt <= 1) {
        err_f32_range(a, b, c, out, 0, n);
        return RAMPS_OK;
    }
    const size_t chunk = ramps_chunk(n, nt);
    const ptrdiff_t nchunk = (ptrdiff_t)((n + chunk - 1) / chunk);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (ptrdiff_t k = 0; k < nchunk; k++) {
        const size_t lo = (size_t)k * chunk;
        err_f32_range(a, b, c, out, lo, lo + chunk < n ? lo + chunk : n);
    }
    return RAMPS_OK;
}

int ramps_err_f16(const uint16_t *a, const uint16_t *b, const uint16_t *c,
                  float *out_f32, uint16_t *out_f16, size_t n, int threads) {
    if ((out_f32 == NULL) == (out_f16 == NULL)) return RAMPS_EINVAL;
    if (n && (!a || !b)) return RAMPS_EINVAL;
    const int nt = ramps_nthreads(threads, n);
    if (nt <= 1) {
        err_f16_range(a, b, c, out_f32, out_f16, 0, n);
        return RAMPS_OK;
    }
    const size_t chunk = ramps_chunk(n, nt);
    const ptrdiff_t nchunk = (ptrdiff_t)((n + chunk - 1) / chunk);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (ptrdiff_t k = 0; k < nchunk; k++) {
        const size_t lo = (size_t)k * chunk;
        err_f16_range(a, b, c, out_f32, out_f16, lo, lo + chunk < n ? lo + chunk : n);
    }
    return RAMPS_OK;
}
