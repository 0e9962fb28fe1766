/* variance.c - ERR = sqrt(sum of variance arrays), float32 and float16. */
#include <math.h>

#include "ramps.h"
#include "common.h"

/* x + y with x86's NaN rule made explicit: when both are NaN the first one
 * wins (quieted), as numpy's float32 add gives on x86.  The hardware add
 * already does this, but compilers treat + as commutative and may swap the
 * operands, which changes which NaN payload survives; selecting x's NaN
 * ourselves makes every code path (plain, SSE2, F16C) give the same bits. */
#define QUIET_BIT 0x00400000u
static inline float add_nanfirst(float x, float y) {
    const uint32_t xb = f32_bits(x), isnan = (xb & 0x7fffffffu) > 0x7f800000u;
    return bits_f32(sel32(isnan, xb | QUIET_BIT, f32_bits(x + y)));
}

float ramps_half_to_float(uint16_t h) { return h2f(h); }

uint16_t ramps_float_to_half(float f) { return f2h(f); }

/* sqrtf is correctly rounded, so SSE's sqrtps gives the same bits (NaN for a
 * negative sum, as numpy); GCC vectorises sqrtf itself only with
 * -fno-math-errno, which the build does not use. */
#if RAMPS_SSE2
static inline __m128 add_nanfirst_x4(__m128 x, __m128 y) {
    const __m128 xnan = _mm_cmpunord_ps(x, x);
    const __m128 xq = _mm_or_ps(x, _mm_castsi128_ps(_mm_set1_epi32((int)QUIET_BIT)));
    return _mm_or_ps(_mm_and_ps(xnan, xq), _mm_andnot_ps(xnan, _mm_add_ps(x, y)));
}
#define LD4(p) _mm_loadu_ps((p) + i)
#endif

/* dst[j] = sqrt(src[j]) for j < m (dst may be src). */
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
            const __m128 s = add_nanfirst_x4(add_nanfirst_x4(LD4(a), LD4(b)), LD4(c));
            _mm_storeu_ps(out + i, _mm_sqrt_ps(s));
        }
    } else {
        for (; i + 4 <= hi; i += 4)
            _mm_storeu_ps(out + i, _mm_sqrt_ps(add_nanfirst_x4(LD4(a), LD4(b))));
    }
#endif
    for (; i < hi; i++) {
        float s = add_nanfirst(a[i], b[i]);
        if (c) s = add_nanfirst(s, c[i]);
        out[i] = sqrtf(s);
    }
}

/* Big-endian float32 inputs (FITS bytes, any alignment): each value is loaded
 * as a 32-bit integer and byte-swapped, which keeps every bit (a signalling
 * NaN stays one until the add), so the sums are those of err_f32_range on the
 * swapped arrays, bit for bit. */
#if RAMPS_SSE2
#define LDBE4(p) \
    _mm_castsi128_ps(ramps_bswap32_x4(_mm_loadu_si128((const __m128i *)((p) + 4 * i))))
#endif
#define LDBE(p) bits_f32(ld_be32((p) + 4 * i))

static void err_f32be_range(const uint8_t *a, const uint8_t *b, const uint8_t *c,
                            float *out, size_t lo, size_t hi) {
    size_t i = lo;
#if RAMPS_SSE2
    if (c) {
        for (; i + 4 <= hi; i += 4) {
            const __m128 ab = add_nanfirst_x4(LDBE4(a), LDBE4(b));
            _mm_storeu_ps(out + i, _mm_sqrt_ps(add_nanfirst_x4(ab, LDBE4(c))));
        }
    } else {
        for (; i + 4 <= hi; i += 4)
            _mm_storeu_ps(out + i, _mm_sqrt_ps(add_nanfirst_x4(LDBE4(a), LDBE4(b))));
    }
#endif
    for (; i < hi; i++) {
        float s = add_nanfirst(LDBE(a), LDBE(b));
        if (c) s = add_nanfirst(s, LDBE(c));
        out[i] = sqrtf(s);
    }
}
#undef LDBE

/* float16: blocks summed into float32 (vectorised), rooted, converted out. */
#ifndef F16_BLOCK
#define F16_BLOCK 1024
#endif

static void err_f16_range(const uint16_t *a, const uint16_t *b, const uint16_t *c,
                          float *out_f32, uint16_t *out_f16, size_t lo, size_t hi) {
    float buf[F16_BLOCK];
    for (size_t b0 = lo; b0 < hi; b0 += F16_BLOCK) {
        const size_t m = hi - b0 < F16_BLOCK ? hi - b0 : F16_BLOCK;
        const uint16_t *pa = a + b0, *pb = b + b0, *pc = c ? c + b0 : NULL;
        float *s = out_f32 ? out_f32 + b0 : buf;
        if (pc) {
            for (size_t j = 0; j < m; j++)
                s[j] = add_nanfirst(add_nanfirst(h2f(pa[j]), h2f(pb[j])), h2f(pc[j]));
        } else {
            for (size_t j = 0; j < m; j++) s[j] = add_nanfirst(h2f(pa[j]), h2f(pb[j]));
        }
        sqrt_block(s, s, m);
        if (!out_f32) {
            uint16_t *o = out_f16 + b0;
            for (size_t j = 0; j < m; j++) o[j] = f2h(buf[j]);
        }
    }
}

typedef void err_f16_fn(const uint16_t *, const uint16_t *, const uint16_t *, float *,
                        uint16_t *, size_t, size_t);

/* x86 with F16C (Ivy Bridge and later, Zen): convert 8 halves per instruction.
 * Chosen at run time, so the default build stays baseline x86-64.  Bit for
 * bit the same as the plain path (checked over all 2**32 pairs of halves):
 * the conversions are exact (half -> float) or round to nearest even (float
 * -> half, as f2h); a signalling NaN half comes out quieted here, but the add
 * that follows quiets it in both paths, and a NaN reaching the final
 * conversion is already quiet (a sqrt result). */
#if RAMPS_SSE2 && defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && \
    !defined(RAMPS_NO_F16C)
#include <cpuid.h>
#include <immintrin.h>
#define RAMPS_F16C_DISPATCH 1

__attribute__((target("avx"))) static inline __m256 add_nanfirst_x8(__m256 x, __m256 y) {
    const __m256 xnan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
    const __m256 quiet = _mm256_castsi256_ps(_mm256_set1_epi32((int)QUIET_BIT));
    /* and/andnot/or rather than blendv, which GCC 12 turns into scalar code here */
    return _mm256_or_ps(_mm256_and_ps(xnan, _mm256_or_ps(x, quiet)),
                        _mm256_andnot_ps(xnan, _mm256_add_ps(x, y)));
}

__attribute__((target("avx,f16c"))) static void err_f16_range_f16c(
    const uint16_t *a, const uint16_t *b, const uint16_t *c, float *out_f32,
    uint16_t *out_f16, size_t lo, size_t hi) {
    size_t i = lo;
#define LD8(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((p) + i)))
#define ST8H(p, s) \
    _mm_storeu_si128((__m128i *)((p) + i), _mm256_cvtps_ph(s, _MM_FROUND_TO_NEAREST_INT))
    if (c && out_f32) {
        for (; i + 8 <= hi; i += 8) {
            const __m256 s = add_nanfirst_x8(add_nanfirst_x8(LD8(a), LD8(b)), LD8(c));
            _mm256_storeu_ps(out_f32 + i, _mm256_sqrt_ps(s));
        }
    } else if (c) {
        for (; i + 8 <= hi; i += 8) {
            const __m256 s = add_nanfirst_x8(add_nanfirst_x8(LD8(a), LD8(b)), LD8(c));
            ST8H(out_f16, _mm256_sqrt_ps(s));
        }
    } else if (out_f32) {
        for (; i + 8 <= hi; i += 8) {
            const __m256 s = add_nanfirst_x8(LD8(a), LD8(b));
            _mm256_storeu_ps(out_f32 + i, _mm256_sqrt_ps(s));
        }
    } else {
        for (; i + 8 <= hi; i += 8)
            ST8H(out_f16, _mm256_sqrt_ps(add_nanfirst_x8(LD8(a), LD8(b))));
    }
#undef LD8
#undef ST8H
    if (i < hi) err_f16_range(a, b, c, out_f32, out_f16, i, hi);
}

/* AVX usable (CPU and OS, which __builtin_cpu_supports checks) and F16C
 * (CPUID.1:ECX bit 29; not every compiler's builtin knows "f16c"). */
static int have_f16c(void) {
    unsigned eax, ebx, ecx, edx;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx")) return 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx >> 29) & 1u;
}

/* Decided once when the library is loaded (cpuid traps to the hypervisor in a
 * VM, and a load-time constructor leaves nothing for threads to race on). */
static int use_f16c;
__attribute__((constructor)) static void detect_f16c(void) { use_f16c = have_f16c(); }
#else
#define RAMPS_F16C_DISPATCH 0
#endif

int ramps_err_f32(const float *a, const float *b, const float *c, float *out,
                  size_t n, int threads) {
    if (n && (!a || !b || !out)) return RAMPS_EINVAL;
    if (ramps_too_many(n)) return RAMPS_EINVAL;
    const int nt = ramps_nthreads(threads, n);
    RAMPS_FOR_CHUNKS(n, nt, err_f32_range(a, b, c, out, lo, hi));
    return RAMPS_OK;
}

int ramps_err_f32be(const uint8_t *a, const uint8_t *b, const uint8_t *c, float *out,
                    size_t n, int threads) {
    if (n && (!a || !b || !out)) return RAMPS_EINVAL;
    if (ramps_too_many(n)) return RAMPS_EINVAL;
    const int nt = ramps_nthreads(threads, n);
    RAMPS_FOR_CHUNKS(n, nt, err_f32be_range(a, b, c, out, lo, hi));
    return RAMPS_OK;
}

int ramps_err_f16(const uint16_t *a, const uint16_t *b, const uint16_t *c,
                  float *out_f32, uint16_t *out_f16, size_t n, int threads) {
    if ((out_f32 == NULL) == (out_f16 == NULL)) return RAMPS_EINVAL;
    if (n && (!a || !b)) return RAMPS_EINVAL;
    if (ramps_too_many(n)) return RAMPS_EINVAL;
    const int nt = ramps_nthreads(threads, n);
    err_f16_fn *range = err_f16_range;
#if RAMPS_F16C_DISPATCH
    if (use_f16c) range = err_f16_range_f16c;
#endif
    RAMPS_FOR_CHUNKS(n, nt, range(a, b, c, out_f32, out_f16, lo, hi));
    return RAMPS_OK;
}
