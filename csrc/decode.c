/* decode.c - stored numbers (any element type, either byte order) -> native. */
#include "ramps.h"
#include "common.h"

/* Elements [lo, hi) of the hot FITS decode (int16 + 32768 -> float32): a
 * 16-bit rotate, an xor and a widening convert, which GCC vectorises. */
static void dec_u16_f32(const uint8_t *in, float *out, size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; i++) {
        uint16_t v;
        memcpy(&v, in + 2 * i, 2);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        v = (uint16_t)(v << 8 | v >> 8);
#endif
        out[i] = (float)(uint16_t)(v ^ 0x8000u);
    }
}

static int decode_u16_f32(const uint8_t *in, float *out, size_t n, int threads) {
    const int nt = ramps_nthreads(threads, n);
    RAMPS_FOR_CHUNKS(n, nt, dec_u16_f32(in, out, lo, hi));
    return RAMPS_OK;
}

/* The three loops of one (stored type, byte order) into T; LOAD is element i
 * as its own C type.  Each is a plain loop that GCC vectorises on its own. */
#define DEC_LOOPS(T, LOAD)                                                               \
    {                                                                                    \
        if (!scaled) {                                                                   \
            _Pragma("omp parallel for schedule(static) num_threads(nt)")                 \
            for (ptrdiff_t i = 0; i < len; i++) out[i] = (T)(LOAD);                      \
        } else if (scale == 1.0) {                                                       \
            _Pragma("omp parallel for schedule(static) num_threads(nt)")                 \
            for (ptrdiff_t i = 0; i < len; i++) out[i] = (T)((double)(LOAD) + offset);   \
        } else {                                                                         \
            _Pragma("omp parallel for schedule(static) num_threads(nt)")                 \
            for (ptrdiff_t i = 0; i < len; i++) {                                        \
                const double v = (double)(LOAD) * scale;                                 \
                out[i] = (T)(v + offset);                                                \
            }                                                                            \
        }                                                                                \
    }

/* One (stored type) case in both byte orders: BITS is the unsigned load
 * width, AS the conversion of the loaded bits to the stored type. */
#define DEC_ORDERS(T, BITS, AS)                                                          \
    if (little) DEC_LOOPS(T, AS(ld_le##BITS(in + (BITS / 8) * i)))                       \
    else DEC_LOOPS(T, AS(ld_be##BITS(in + (BITS / 8) * i)))

#define AS_I16(x) ((int16_t)(x))
#define AS_U16(x) (x)
#define AS_I32(x) ((int32_t)(x))
#define AS_U32(x) (x)
#define AS_I64(x) ((int64_t)(x))
#define AS_U64(x) (x)
#define AS_F16_float(x) h2f(x)
#define AS_F16_double(x) h2d(x)
#define AS_F32(x) bits_f32(x)
#define AS_F64(x) bits_f64(x)

/* binary16 bits -> double, exactly, keeping a NaN's payload and its signalling
 * bit (a float intermediate would quiet it in the float -> double step). */
static inline double h2d(uint16_t h) {
    const uint64_t sign = (uint64_t)(h & 0x8000u) << 48;
    const uint64_t em = h & 0x7fffu;
    uint64_t r;
    if (em >= 0x7c00u) r = 0x7ff0000000000000ull | (em & 0x3ffu) << 42;
    else if (em >= 0x0400u) r = (em << 42) + ((uint64_t)(1023 - 15) << 52);
    else r = f64_bits((double)em * 0x1p-24);
    return bits_f64(sign | r);
}

/* One body for both output types: T is float or double. */
#define DECODE_TYPED_BODY(T)                                                             \
    const ptrdiff_t len = (ptrdiff_t)n;                                                  \
    if (n && (!in || !out)) return RAMPS_EINVAL;                                         \
    if (ramps_too_many(n)) return RAMPS_EINVAL;                                          \
    if (order != RAMPS_BIG_ENDIAN && order != RAMPS_LITTLE_ENDIAN) return RAMPS_EINVAL;  \
    const int little = order == RAMPS_LITTLE_ENDIAN;                                     \
    const int nt = ramps_nthreads(threads, n);                                           \
    (void)nt;                                                                            \
    const int scaled = !(scale == 1.0 && offset == 0.0);                                 \
    switch (dtype) {                                                                     \
    case RAMPS_INT8: DEC_LOOPS(T, (int8_t)in[i]) break;                                  \
    case RAMPS_UINT8: DEC_LOOPS(T, in[i]) break;                                         \
    case RAMPS_INT16: DEC_ORDERS(T, 16, AS_I16) break;                                   \
    case RAMPS_UINT16: DEC_ORDERS(T, 16, AS_U16) break;                                  \
    case RAMPS_INT32: DEC_ORDERS(T, 32, AS_I32) break;                                   \
    case RAMPS_UINT32: DEC_ORDERS(T, 32, AS_U32) break;                                  \
    case RAMPS_INT64: DEC_ORDERS(T, 64, AS_I64) break;                                   \
    case RAMPS_UINT64: DEC_ORDERS(T, 64, AS_U64) break;                                  \
    case RAMPS_FLOAT16: DEC_ORDERS(T, 16, AS_F16_##T) break;                               \
    case RAMPS_FLOAT32: DEC_ORDERS(T, 32, AS_F32) break;                                 \
    case RAMPS_FLOAT64: DEC_ORDERS(T, 64, AS_F64) break;                                 \
    default: return RAMPS_EINVAL;                                                        \
    }                                                                                    \
    return RAMPS_OK;

int ramps_decode_typed_f32(const uint8_t *in, float *out, size_t n, int dtype, int order,
                           double scale, double offset, int threads) {
    if (dtype == RAMPS_INT16 && order == RAMPS_BIG_ENDIAN && scale == 1.0 &&
        offset == 32768.0 && (!n || (in && out)) && !ramps_too_many(n))
        return decode_u16_f32(in, out, n, threads);
    DECODE_TYPED_BODY(float)
}

int ramps_decode_typed_f64(const uint8_t *in, double *out, size_t n, int dtype, int order,
                           double scale, double offset, int threads) {
    DECODE_TYPED_BODY(double)
}

/* Elements [lo, hi) of load_xor for one width, from the other byte order
 * than the host's: a byte swap. */
static void swap_xor_range(const uint8_t *in, uint8_t *out, size_t lo, size_t hi,
                           int width, uint64_t xor_mask) {
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
            uint16_t v;
            memcpy(&v, in + 2 * i, 2);
            v = (uint16_t)((uint16_t)(v << 8 | v >> 8) ^ m);
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
            uint32_t v = ramps_host_little() ? ld_be32(in + 4 * i) : ld_le32(in + 4 * i);
            v ^= m;
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
            uint64_t v = ramps_host_little() ? ld_be64(in + 8 * i) : ld_le64(in + 8 * i);
            v ^= xor_mask;
            memcpy(out + 8 * i, &v, 8);
        }
        break;
    }
    }
}

/* Elements [lo, hi) of load_xor from the host's own byte order: a copy. */
static void copy_xor_range(const uint8_t *in, uint8_t *out, size_t lo, size_t hi,
                           int width, uint64_t xor_mask) {
    switch (width) {
    case 1: swap_xor_range(in, out, lo, hi, 1, xor_mask); break;
    case 2: {
        const uint16_t m = (uint16_t)xor_mask;
        for (size_t i = lo; i < hi; i++) {
            uint16_t v;
            memcpy(&v, in + 2 * i, 2);
            v ^= m;
            memcpy(out + 2 * i, &v, 2);
        }
        break;
    }
    case 4: {
        const uint32_t m = (uint32_t)xor_mask;
        for (size_t i = lo; i < hi; i++) {
            uint32_t v;
            memcpy(&v, in + 4 * i, 4);
            v ^= m;
            memcpy(out + 4 * i, &v, 4);
        }
        break;
    }
    default:
        for (size_t i = lo; i < hi; i++) {
            uint64_t v;
            memcpy(&v, in + 8 * i, 8);
            v ^= xor_mask;
            memcpy(out + 8 * i, &v, 8);
        }
        break;
    }
}

int ramps_load_xor(const uint8_t *in, uint8_t *out, size_t n, int width, int order,
                   uint64_t xor_mask, int threads) {
    if (n && (!in || !out)) return RAMPS_EINVAL;
    if (!(width == 1 || width == 2 || width == 4 || width == 8)) return RAMPS_EINVAL;
    if (ramps_too_many(n)) return RAMPS_EINVAL;
    if (order != RAMPS_BIG_ENDIAN && order != RAMPS_LITTLE_ENDIAN) return RAMPS_EINVAL;
    const int nt = ramps_nthreads(threads, n);
    if ((order == RAMPS_LITTLE_ENDIAN) == ramps_host_little())
        RAMPS_FOR_CHUNKS(n, nt, copy_xor_range(in, out, lo, hi, width, xor_mask));
    else
        RAMPS_FOR_CHUNKS(n, nt, swap_xor_range(in, out, lo, hi, width, xor_mask));
    return RAMPS_OK;
}
