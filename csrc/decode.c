/* decode.c - big-endian FITS data -> native numbers. */
#include "ramps.h"
#include "common.h"

/* Elements [lo, hi) of the hot decode; GCC vectorises this loop with SSE2
 * (16-bit rotate, xor, widen, cvtdq2ps: ~10 instructions per 8 values). */
static void dec_u16_f32(const uint8_t *in, float *out, size_t lo,
                        size_t hi) {
    for (size_t i = lo; i < hi; i++) {
        uint16_t v;
        memcpy(&v, in + 2 * i, 2);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        v = (uint16_t)(v << 8 | v >> 8);
#endif
        out[i] = (float)(uint16_t)(v ^ 0x8000u);
    }
}

int ramps_decode_u16_f32(const uint8_t *in, float *out, size_t n, int threads) {
    if (n && (!in || !out)) return RAMPS_EINVAL;
    const int nt = ramps_nthreads(threads, n);
    RAMPS_FOR_CHUNKS(n, nt, dec_u16_f32(in, out, lo, hi));
    return RAMPS_OK;
}

/* Read element i of a big-endian array of the given BITPIX as a double. */
static inline double raw_as_double(const uint8_t *in, ptrdiff_t i, int bitpix) {
    switch (bitpix) {
    case 8: return (double)in[i];
    case 16: return (double)(int16_t)ld_be16(in + 2 * i);
    case 32: return (double)(int32_t)ld_be32(in + 4 * i);
    case 64: return (double)(int64_t)ld_be64(in + 8 * i);
    case -32: return (double)bits_f32(ld_be32(in + 4 * i));
    default: return bits_f64(ld_be64(in + 8 * i));
    }
}

static int valid_bitpix(int bitpix) {
    return bitpix == 8 || bitpix == 16 || bitpix == 32 || bitpix == 64 ||
           bitpix == -32 || bitpix == -64;
}

/* One body for both output types: T is float or double.  The switch is
 * hoisted out of the loop so each case vectorises on its own. */
#define DECODE_BODY(T)                                                          \
    const ptrdiff_t len = (ptrdiff_t)n;                                         \
    if (!valid_bitpix(bitpix)) return RAMPS_EBITPIX;                            \
    if (n && (!in || !out)) return RAMPS_EINVAL;                                \
    const int nt = ramps_nthreads(threads, n);                                  \
    (void)nt;                                                                   \
    const int scaled = !(bscale == 1.0 && bzero == 0.0);                        \
    if (!scaled && bitpix == -32) {                                             \
        _Pragma("omp parallel for schedule(static) num_threads(nt)")            \
        for (ptrdiff_t i = 0; i < len; i++)                                     \
            out[i] = (T)bits_f32(ld_be32(in + 4 * i));                          \
    } else if (!scaled && bitpix == 16) {                                       \
        _Pragma("omp parallel for schedule(static) num_threads(nt)")            \
        for (ptrdiff_t i = 0; i < len; i++)                                     \
            out[i] = (T)(int16_t)ld_be16(in + 2 * i);                           \
    } else if (!scaled && bitpix == 64) { /* direct: one rounding, not two */ \
        _Pragma("omp parallel for schedule(static) num_threads(nt)")            \
        for (ptrdiff_t i = 0; i < len; i++)                                     \
            out[i] = (T)(int64_t)ld_be64(in + 8 * i);                           \
    } else if (!scaled) {                                                       \
        _Pragma("omp parallel for schedule(static) num_threads(nt)")            \
        for (ptrdiff_t i = 0; i < len; i++)                                     \
            out[i] = (T)raw_as_double(in, i, bitpix);                           \
    } else if (bitpix == 16 && bscale == 1.0) {                                 \
        _Pragma("omp parallel for schedule(static) num_threads(nt)")            \
        for (ptrdiff_t i = 0; i < len; i++)                                     \
            out[i] = (T)((double)(int16_t)ld_be16(in + 2 * i) + bzero);         \
    } else {                                                                    \
        _Pragma("omp parallel for schedule(static) num_threads(nt)")            \
        for (ptrdiff_t i = 0; i < len; i++) {                                   \
            double v = raw_as_double(in, i, bitpix) * bscale;                   \
            out[i] = (T)(v + bzero);                                            \
        }                                                                       \
    }                                                                           \
    return RAMPS_OK;

int ramps_decode_f32(const uint8_t *in, float *out, size_t n, int bitpix,
                     double bscale, double bzero, int threads) {
    if (bitpix == 16 && bscale == 1.0 && bzero == 32768.0)
        return ramps_decode_u16_f32(in, out, n, threads);
    DECODE_BODY(float)
}

int ramps_decode_f64(const uint8_t *in, double *out, size_t n, int bitpix,
                     double bscale, double bzero, int threads) {
    DECODE_BODY(double)
}

/* Elements [lo, hi) of swap_xor for one width. */
static void swap_xor_range(const uint8_t *in, uint8_t *out, size_t lo,
                           size_t hi, int width, uint64_t xor_mask) {
    size_t i = lo;
    switch (width) {
    case 1: {
        const uint8_t m = (uint8_t)xor_mask;
        for (; i < hi; i++) out[i] = in[i] ^ m;
        break;
    }
    case 2: { /* vectorised by GCC: a 16-bit rotate is two shifts and an or */
        const uint16_t m = (uint16_t)xor_mask;
        for (; i < hi; i++) {
            uint16_t v = (uint16_t)(ld_be16(in + 2 * i) ^ m);
            memcpy(out + 2 * i, &v, 2);
        }
        break;
    }
    case 4: {
        const uint32_t m = (uint32_t)xor_mask;
#if RAMPS_SSE2
        const __m128i vm = _mm_set1_epi32((int)m);
        for (; i + 8 <= hi; i += 8) {
            __m128i a = _mm_loadu_si128((const __m128i *)(in + 4 * i));
            __m128i b = _mm_loadu_si128((const __m128i *)(in + 4 * i + 16));
            a = _mm_xor_si128(ramps_bswap32_x4(a), vm);
            b = _mm_xor_si128(ramps_bswap32_x4(b), vm);
            _mm_storeu_si128((__m128i *)(out + 4 * i), a);
            _mm_storeu_si128((__m128i *)(out + 4 * i + 16), b);
        }
#endif
        for (; i < hi; i++) {
            uint32_t v = ld_be32(in + 4 * i) ^ m;
            memcpy(out + 4 * i, &v, 4);
        }
        break;
    }
    default: { /* 8 */
#if RAMPS_SSE2
        const __m128i vm = _mm_set1_epi64x((long long)xor_mask);
        for (; i + 4 <= hi; i += 4) {
            __m128i a = _mm_loadu_si128((const __m128i *)(in + 8 * i));
            __m128i b = _mm_loadu_si128((const __m128i *)(in + 8 * i + 16));
            a = _mm_xor_si128(ramps_bswap64_x2(a), vm);
            b = _mm_xor_si128(ramps_bswap64_x2(b), vm);
            _mm_storeu_si128((__m128i *)(out + 8 * i), a);
            _mm_storeu_si128((__m128i *)(out + 8 * i + 16), b);
        }
#endif
        for (; i < hi; i++) {
            uint64_t v = ld_be64(in + 8 * i) ^ xor_mask;
            memcpy(out + 8 * i, &v, 8);
        }
        break;
    }
    }
}

int ramps_swap_xor(const uint8_t *in, uint8_t *out, size_t n, int width,
                   uint64_t xor_mask, int threads) {
    if (n && (!in || !out)) return RAMPS_EINVAL;
    if (!(width == 1 || width == 2 || width == 4 || width == 8)) return RAMPS_EINVAL;
    const int nt = ramps_nthreads(threads, n);
    RAMPS_FOR_CHUNKS(n, nt, swap_xor_range(in, out, lo, hi, width, xor_mask));
    return RAMPS_OK;
}
