/* encode.c - native numbers -> big-endian FITS data. */
#include <math.h>

#include "ramps.h"
#include "common.h"

/* Store double v (already scaled) as element i of a big-endian BITPIX array.
 * Returns 1 when v is NaN or does not fit an integer BITPIX. */
static inline int store_scaled(uint8_t *out, ptrdiff_t i, int bitpix, double v) {
    switch (bitpix) {
    case -32: st_be32(out + 4 * i, f32_bits((float)v)); return 0;
    case -64: st_be64(out + 8 * i, f64_bits(v)); return 0;
    default: break;
    }
    v = nearbyint(v); /* round half to even in the default rounding mode */
    switch (bitpix) {
    case 8:
        if (!(v >= 0.0 && v <= 255.0)) return 1;
        out[i] = (uint8_t)v;
        return 0;
    case 16:
        if (!(v >= -32768.0 && v <= 32767.0)) return 1;
        st_be16(out + 2 * i, (uint16_t)(int16_t)v);
        return 0;
    case 32:
        if (!(v >= -2147483648.0 && v <= 2147483647.0)) return 1;
        st_be32(out + 4 * i, (uint32_t)(int32_t)v);
        return 0;
    default: /* 64 */
        if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0)) return 1;
        st_be64(out + 8 * i, (uint64_t)(int64_t)v);
        return 0;
    }
}

#define ENCODE_BODY(T)                                                          \
    const ptrdiff_t len = (ptrdiff_t)n;                                         \
    if (!(bitpix == 8 || bitpix == 16 || bitpix == 32 || bitpix == 64 ||        \
          bitpix == -32 || bitpix == -64))                                      \
        return RAMPS_EBITPIX;                                                   \
    if (n && (!in || !out)) return RAMPS_EINVAL;                                \
    if (ramps_too_many(n)) return RAMPS_EINVAL;                                 \
    if (!(bscale != 0.0 && isfinite(bscale) && isfinite(bzero)))                \
        return RAMPS_EINVAL;                                                    \
    const int nt = ramps_nthreads(threads, n);                                  \
    (void)nt;                                                                   \
    const int scaled = !(bscale == 1.0 && bzero == 0.0);                        \
    int bad = 0;                                                                \
    if (!scaled) {                                                              \
        _Pragma("omp parallel for schedule(static) num_threads(nt) reduction(|:bad)") \
        for (ptrdiff_t i = 0; i < len; i++)                                     \
            bad |= store_scaled(out, i, bitpix, (double)in[i]);                 \
    } else {                                                                    \
        _Pragma("omp parallel for schedule(static) num_threads(nt) reduction(|:bad)") \
        for (ptrdiff_t i = 0; i < len; i++)                                     \
            bad |= store_scaled(out, i, bitpix, ((double)in[i] - bzero) / bscale); \
    }                                                                           \
    return bad ? RAMPS_ERANGE : RAMPS_OK;

int ramps_encode_f32(const float *in, uint8_t *out, size_t n, int bitpix,
                     double bscale, double bzero, int threads) {
    if (bitpix == -32 && bscale == 1.0 && bzero == 0.0)
        return ramps_load_xor((const uint8_t *)in, out, n, 4, RAMPS_BIG_ENDIAN, 0, threads);
    ENCODE_BODY(float)
}

int ramps_encode_f64(const double *in, uint8_t *out, size_t n, int bitpix,
                     double bscale, double bzero, int threads) {
    if (bitpix == -64 && bscale == 1.0 && bzero == 0.0)
        return ramps_load_xor((const uint8_t *)in, out, n, 8, RAMPS_BIG_ENDIAN, 0, threads);
    ENCODE_BODY(double)
}

/* Elements [lo, hi) of the transcode: stored int16 + 32768 as a big-endian float. */
static void transcode_range(const uint8_t *in, uint8_t *out, size_t lo, size_t hi) {
    size_t i = lo;
#if RAMPS_SSE2
    const __m128i flip = _mm_set1_epi16((short)0x8000), zero = _mm_setzero_si128();
    for (; i + 8 <= hi; i += 8) {
        __m128i v = _mm_loadu_si128((const __m128i *)(in + 2 * i));
        v = _mm_or_si128(_mm_slli_epi16(v, 8), _mm_srli_epi16(v, 8)); /* native u16 */
        v = _mm_xor_si128(v, flip);                                   /* + 32768 */
        __m128i lo4 = _mm_castps_si128(_mm_cvtepi32_ps(_mm_unpacklo_epi16(v, zero)));
        __m128i hi4 = _mm_castps_si128(_mm_cvtepi32_ps(_mm_unpackhi_epi16(v, zero)));
        _mm_storeu_si128((__m128i *)(out + 4 * i), ramps_bswap32_x4(lo4));
        _mm_storeu_si128((__m128i *)(out + 4 * i + 16), ramps_bswap32_x4(hi4));
    }
#endif
    for (; i < hi; i++) {
        const uint16_t v = (uint16_t)(ld_be16(in + 2 * i) ^ 0x8000u);
        st_be32(out + 4 * i, f32_bits((float)v));
    }
}

int ramps_transcode_u16_f32be(const uint8_t *in, uint8_t *out, size_t n,
                              int threads) {
    if (n && (!in || !out)) return RAMPS_EINVAL;
    if (ramps_too_many(n)) return RAMPS_EINVAL;
    const int nt = ramps_nthreads(threads, n);
    RAMPS_FOR_CHUNKS(n, nt, transcode_range(in, out, lo, hi));
    return RAMPS_OK;
}
