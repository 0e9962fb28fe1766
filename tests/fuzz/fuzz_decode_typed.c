/* libFuzzer harness for ramps_decode_typed_f32 / _f64 (csrc/decode.c).
 *
 * Input: dtype (byte % 13: 1..11 valid, 0 and 12 not), order (byte % 3: 2 is
 * invalid), scale and offset (fdp_real), threads, misalignment (byte % 8),
 * then the stored bytes; n = whole elements in them.  Checks each value
 * against a scalar reference (the formula of ramps.h), float32 against
 * float64 rounded once where ramps.h says so, and threads = 1 against the
 * chunked run bit for bit. */
#include "fuzz_common.h"

static const int WIDTH[12] = {0, 1, 1, 2, 2, 4, 4, 8, 8, 2, 4, 8};

/* binary16 bits -> double, written independently of the library */
static double half_ref(uint16_t h) {
    const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    const double s = (h & 0x8000) ? -1.0 : 1.0;
    if (e == 0x1f) return m ? NAN : s * INFINITY;
    if (e == 0) return s * ldexp(m, -24);
    return s * ldexp(1024 + m, e - 25);
}

/* The stored value as double (exact for all but (u)int64) and, for the
 * unscaled float32 route, as float rounded once from the stored type. */
static void ref_value(const uint8_t *p, int dtype, int little, double *d, float *f) {
    const uint64_t u = load_uint(p, WIDTH[dtype], little);
    switch (dtype) {
    case RAMPS_INT8: *d = (int8_t)u, *f = (float)(int8_t)u; break;
    case RAMPS_UINT8: *d = (uint8_t)u, *f = (float)(uint8_t)u; break;
    case RAMPS_INT16: *d = (int16_t)u, *f = (float)(int16_t)u; break;
    case RAMPS_UINT16: *d = (uint16_t)u, *f = (float)(uint16_t)u; break;
    case RAMPS_INT32: *d = (int32_t)u, *f = (float)(int32_t)u; break;
    case RAMPS_UINT32: *d = (uint32_t)u, *f = (float)(uint32_t)u; break;
    case RAMPS_INT64: *d = (double)(int64_t)u, *f = (float)(int64_t)u; break;
    case RAMPS_UINT64: *d = (double)u, *f = (float)u; break;
    case RAMPS_FLOAT16: *d = half_ref((uint16_t)u), *f = (float)*d; break;
    case RAMPS_FLOAT32: {
        float x;
        uint32_t b = (uint32_t)u;
        memcpy(&x, &b, 4);
        *d = x, *f = x;
        break;
    }
    default: {
        double x;
        memcpy(&x, &u, 8);
        *d = x, *f = (float)x;
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fdp f = {data, size};
    const int dtype = fdp_u8(&f) % 13;
    const int order = fdp_u8(&f) % 3;
    const double scale = fdp_real(&f), offset = fdp_real(&f);
    const int threads = fdp_threads(&f);
    const size_t misalign = fdp_u8(&f) % 8;
    size_t nbytes;
    uint8_t *base;
    const uint8_t *in = fdp_rest_copy(&f, misalign, &nbytes, &base);

    const int valid = dtype >= 1 && dtype <= 11 && order != 2;
    const size_t width = dtype >= 1 && dtype <= 11 ? (size_t)WIDTH[dtype] : 1;
    const size_t n = nbytes / width;
    float *o32 = fuzz_alloc(n * sizeof(float)), *o32b = fuzz_alloc(n * sizeof(float));
    double *o64 = fuzz_alloc(n * sizeof(double)), *o64b = fuzz_alloc(n * sizeof(double));

    int st = ramps_decode_typed_f32(in, o32, n, dtype, order, scale, offset, threads);
    int st64 = ramps_decode_typed_f64(in, o64, n, dtype, order, scale, offset, threads);
    FUZZ_CHECK(st == (valid ? RAMPS_OK : RAMPS_EINVAL));
    FUZZ_CHECK(st64 == st);
    if (valid) {
        const int little = order == RAMPS_LITTLE_ENDIAN;
        const int scaled = !(scale == 1.0 && offset == 0.0);
        for (size_t i = 0; i < n; i++) {
            double d;
            float r32;
            ref_value(in + width * i, dtype, little, &d, &r32);
            const double r64 = scaled ? d * scale + offset : d;
            if (scaled) r32 = (float)r64;
            FUZZ_CHECK(same_f64(o64[i], r64));
            FUZZ_CHECK(same_f32(o32[i], r32));
        }
        /* one thread and the chunked split give the same bits */
        st = ramps_decode_typed_f32(in, o32b, n, dtype, order, scale, offset, 1);
        st64 = ramps_decode_typed_f64(in, o64b, n, dtype, order, scale, offset, 1);
        FUZZ_CHECK(st == RAMPS_OK && st64 == RAMPS_OK);
        FUZZ_CHECK(!n || !memcmp(o32, o32b, n * sizeof(float)));
        FUZZ_CHECK(!n || !memcmp(o64, o64b, n * sizeof(double)));
    }
    /* NULL buffers are refused for n > 0, accepted for n = 0 */
    FUZZ_CHECK(ramps_decode_typed_f32(NULL, o32, 1, RAMPS_UINT8, 0, 1, 0, 1) == RAMPS_EINVAL);
    FUZZ_CHECK(ramps_decode_typed_f64(in, NULL, 1, RAMPS_UINT8, 0, 1, 0, 1) == RAMPS_EINVAL);
    FUZZ_CHECK(ramps_decode_typed_f64(NULL, NULL, 0, RAMPS_UINT8, 0, 1, 0, 1) == RAMPS_OK);
    /* a length no buffer can hold is refused before any access */
    const size_t huge = RAMPS_MAX_COUNT + 1 + fdp_u8(&(fdp){data, size});
    FUZZ_CHECK(ramps_decode_typed_f32(in, o32, huge, dtype, order, scale, offset, threads) ==
               RAMPS_EINVAL);
    FUZZ_CHECK(ramps_decode_typed_f64(in, o64, huge, dtype, order, scale, offset, threads) ==
               RAMPS_EINVAL);
    free(o32), free(o32b), free(o64), free(o64b), free(base);
    return 0;
}
