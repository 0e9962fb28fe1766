/* variance.c - ERR = sqrt(sum of variance arrays), float32 and float16. */
#include <math.h>

#include "ramps.h"
#include "common.h"

float ramps_half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    if (exp == 0) { /* zero or subnormal: mant * 2**-24, exact in float */
        const float f = (float)mant * 0x1p-24f;
        return sign ? -f : f;
    }
    if (exp == 31) return bits_f32(sign | 0x7f800000u | mant << 13);
    return bits_f32(sign | (exp + 112u) << 23 | mant << 13);
}

uint16_t ramps_float_to_half(float f) {
    const uint32_t u = f32_bits(f);
    const uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    const uint32_t x = u & 0x7fffffffu;
    if (x >= 0x7f800000u) { /* inf or NaN; a NaN keeps its top payload bits */
        uint16_t h = (uint16_t)(0x7c00u | ((x & 0x7fffffu) >> 13));
        if (x > 0x7f800000u && h == 0x7c00u) h |= 1u;
        return sign | h;
    }
    if (x >= 0x47800000u) return sign | 0x7c00u; /* >= 65536: overflow */
    if (x < 0x38800000u) { /* half subnormal range: round |f| * 2**24 */
        const float r = nearbyintf(bits_f32(x) * 0x1p24f);
        return sign | (uint16_t)r;
    }
    /* normal: drop 13 mantissa bits, round half to even, rebias exponent;
     * a carry out of the mantissa bumps the exponent (up to inf) correctly */
    const uint32_t r = x + 0xfffu + ((x >> 13) & 1u);
    return sign | (uint16_t)((r >> 13) - (112u << 10));
}

int ramps_err_f32(const float *a, const float *b, const float *c, float *out,
                  size_t n, int threads) {
    const ptrdiff_t len = (ptrdiff_t)n;
    if (n && (!a || !b || !out)) return RAMPS_EINVAL;
    const int nt = ramps_nthreads(threads, n);
    (void)nt;
    if (c) {
#pragma omp parallel for schedule(static) num_threads(nt)
        for (ptrdiff_t i = 0; i < len; i++) {
            float s = a[i] + b[i];
            s = s + c[i];
            out[i] = sqrtf(s);
        }
    } else {
#pragma omp parallel for schedule(static) num_threads(nt)
        for (ptrdiff_t i = 0; i < len; i++) out[i] = sqrtf(a[i] + b[i]);
    }
    return RAMPS_OK;
}

int ramps_err_f16(const uint16_t *a, const uint16_t *b, const uint16_t *c,
                  float *out_f32, uint16_t *out_f16, size_t n, int threads) {
    const ptrdiff_t len = (ptrdiff_t)n;
    if ((out_f32 == NULL) == (out_f16 == NULL)) return RAMPS_EINVAL;
    if (n && (!a || !b)) return RAMPS_EINVAL;
    const int nt = ramps_nthreads(threads, n);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (ptrdiff_t i = 0; i < len; i++) {
        float s = ramps_half_to_float(a[i]) + ramps_half_to_float(b[i]);
        if (c) s = s + ramps_half_to_float(c[i]);
        s = sqrtf(s);
        if (out_f32)
            out_f32[i] = s;
        else
            out_f16[i] = ramps_float_to_half(s);
    }
    return RAMPS_OK;
}
