/* libFuzzer harness for the FITS codec: ramps_encode_f32 / _f64 with any
 * BITPIX, BSCALE, BZERO and length, the BITPIX decodes they pair with, and
 * ramps_load_xor (csrc/encode.c, csrc/decode.c).
 *
 * Input: BITPIX (byte % 8 picks 8, 16, 32, 64, -32, -64, a raw int32, or 0),
 * BSCALE and BZERO (fdp_real), precision (byte & 1: float32 or float64),
 * threads, output misalignment (byte % 8), the load_xor width (byte % 5:
 * 1, 2, 4, 8 or an invalid 3), order (byte % 3) and mask (8 bytes), then the
 * values (native floats) and stored bytes, both the rest of the input.
 * Checks: the status is what the values say (RAMPS_ERANGE exactly when one
 * is NaN or outside an integer BITPIX after scaling); what was encoded
 * decodes to the rounded value; stored integers decoded and encoded again
 * give the same bytes (plain, and the BZERO offsets of unsigned types); the
 * chunked run equals one thread's; load_xor equals a scalar reference. */
#include "fuzz_common.h"

static int dtype_of(int bitpix) {
    switch (bitpix) {
    case 8: return RAMPS_UINT8;
    case 16: return RAMPS_INT16;
    case 32: return RAMPS_INT32;
    case 64: return RAMPS_INT64;
    case -32: return RAMPS_FLOAT32;
    default: return RAMPS_FLOAT64;
    }
}

/* 1 when v (already scaled) is NaN or does not fit integer BITPIX b */
static int out_of_range(double v, int b) {
    if (b < 0) return 0;
    v = nearbyint(v);
    if (b == 8) return !(v >= 0.0 && v <= 255.0);
    if (b == 16) return !(v >= -32768.0 && v <= 32767.0);
    if (b == 32) return !(v >= -2147483648.0 && v <= 2147483647.0);
    return !(v >= -9223372036854775808.0 && v < 9223372036854775808.0);
}

static void check_encode(const uint8_t *vals, size_t nbytes, int is64, int bitpix,
                         double bscale, double bzero, int threads, size_t misalign) {
    const size_t esz = is64 ? 8 : 4, n = nbytes / esz;
    const size_t w = (size_t)(bitpix < 0 ? -(long long)bitpix : bitpix) / 8; /* INT_MIN too */
    const int valid_bitpix = bitpix == 8 || bitpix == 16 || bitpix == 32 || bitpix == 64 ||
                             bitpix == -32 || bitpix == -64;
    void *in = fuzz_alloc(n * esz); /* aligned: the API takes float / double */
    if (n) memcpy(in, vals, n * esz);
    const size_t obytes = n * (valid_bitpix ? w : 8);
    uint8_t *obase = fuzz_alloc(misalign + obytes), *out = obase + misalign;
    uint8_t *out1 = fuzz_alloc(obytes);
    const int st = is64 ? ramps_encode_f64(in, out, n, bitpix, bscale, bzero, threads)
                        : ramps_encode_f32(in, out, n, bitpix, bscale, bzero, threads);
    int want = RAMPS_OK;
    if (!valid_bitpix) want = RAMPS_EBITPIX;
    else if (!(bscale != 0.0 && isfinite(bscale) && isfinite(bzero))) want = RAMPS_EINVAL;
    const int plain = bscale == 1.0 && bzero == 0.0;
    double *scaled = fuzz_alloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        const double x = is64 ? ((const double *)in)[i] : ((const float *)in)[i];
        scaled[i] = plain ? x : (x - bzero) / bscale;
        if (want == RAMPS_OK && out_of_range(scaled[i], bitpix)) want = RAMPS_ERANGE;
    }
    FUZZ_CHECK(st == want);
    if (valid_bitpix) { /* a length no buffer can hold: refused before any access */
        const size_t huge = RAMPS_MAX_COUNT + 1 + (size_t)misalign;
        FUZZ_CHECK((is64 ? ramps_encode_f64(in, out, huge, bitpix, bscale, bzero, threads)
                         : ramps_encode_f32(in, out, huge, bitpix, bscale, bzero, threads)) ==
                   RAMPS_EINVAL);
    }
    if (st == RAMPS_OK && n) {
        /* decode what was written: the rounded value, or the float itself */
        double *back = fuzz_alloc(n * sizeof(double));
        FUZZ_CHECK(ramps_decode_typed_f64(out, back, n, dtype_of(bitpix), RAMPS_BIG_ENDIAN,
                                          1.0, 0.0, 1) == RAMPS_OK);
        for (size_t i = 0; i < n; i++) {
            const double r = bitpix == -64   ? scaled[i]
                             : bitpix == -32 ? (double)(float)scaled[i]
                                             : nearbyint(scaled[i]);
            FUZZ_CHECK(bitpix < 0 ? same_f64(back[i], r) : back[i] == r); /* -0 -> 0 */
        }
        free(back);
        const int st1 = is64 ? ramps_encode_f64(in, out1, n, bitpix, bscale, bzero, 1)
                             : ramps_encode_f32(in, out1, n, bitpix, bscale, bzero, 1);
        FUZZ_CHECK(st1 == RAMPS_OK && !memcmp(out, out1, n * w));
    }
    free(scaled), free(in), free(obase), free(out1);
}

/* Stored integers of BITPIX b: decode with offset bzero, encode with the same
 * BZERO, get the same bytes (b = 64 only through float64 when exact). */
static void check_roundtrip(const uint8_t *stored, size_t nbytes, int b, double bzero,
                            int via64, int threads) {
    const size_t w = (size_t)b / 8, n = nbytes / w;
    double *d = fuzz_alloc(n * sizeof(double));
    float *f = fuzz_alloc(n * sizeof(float));
    uint8_t *again = fuzz_alloc(n * w);
    int st;
    if (via64) {
        st = ramps_decode_typed_f64(stored, d, n, dtype_of(b), RAMPS_BIG_ENDIAN, 1.0, bzero,
                                    threads);
        FUZZ_CHECK(st == RAMPS_OK);
        int exact = 1;
        for (size_t i = 0; i < n; i++) exact &= fabs(d[i]) < 9007199254740992.0;
        st = ramps_encode_f64(d, again, n, b, 1.0, bzero, threads);
        if (exact) FUZZ_CHECK(st == RAMPS_OK && (!n || !memcmp(again, stored, n * w)));
    } else { /* float32 holds 8- and 16-bit integers exactly */
        st = ramps_decode_typed_f32(stored, f, n, dtype_of(b), RAMPS_BIG_ENDIAN, 1.0, bzero,
                                    threads);
        FUZZ_CHECK(st == RAMPS_OK);
        st = ramps_encode_f32(f, again, n, b, 1.0, bzero, threads);
        FUZZ_CHECK(st == RAMPS_OK && (!n || !memcmp(again, stored, n * w)));
    }
    free(d), free(f), free(again);
}

static void check_load_xor(const uint8_t *in, size_t nbytes, int width, int order,
                           uint64_t mask, int threads) {
    const int valid = (width == 1 || width == 2 || width == 4 || width == 8) && order != 2;
    const size_t n = nbytes / (size_t)width;
    uint8_t *out = fuzz_alloc(n * (size_t)width), *out1 = fuzz_alloc(n * (size_t)width);
    const int st = ramps_load_xor(in, out, n, width, order, mask, threads);
    FUZZ_CHECK(st == (valid ? RAMPS_OK : RAMPS_EINVAL));
    if (valid) {
        const uint64_t m = width == 8 ? mask : mask & ((1ull << (8 * width)) - 1);
        for (size_t i = 0; i < n; i++) {
            const uint64_t want = load_uint(in + width * i, width, order) ^ m;
            uint64_t got; /* the element as the host reads it */
            const uint8_t *o = out + width * i;
            if (width == 1) got = *o;
            else if (width == 2) { uint16_t v; memcpy(&v, o, 2); got = v; }
            else if (width == 4) { uint32_t v; memcpy(&v, o, 4); got = v; }
            else memcpy(&got, o, 8);
            FUZZ_CHECK(got == want);
        }
        FUZZ_CHECK(ramps_load_xor(in, out1, n, width, order, mask, 1) == RAMPS_OK);
        FUZZ_CHECK(ramps_load_xor(in, out1, RAMPS_MAX_COUNT + 1, width, order, mask,
                                  threads) == RAMPS_EINVAL);
        FUZZ_CHECK(!n || !memcmp(out, out1, n * (size_t)width));
    }
    free(out), free(out1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const int BITPIX[6] = {8, 16, 32, 64, -32, -64};
    fdp f = {data, size};
    const uint8_t pick = fdp_u8(&f) % 8;
    const uint32_t raw = fdp_u32(&f);
    const int bitpix = pick < 6 ? BITPIX[pick] : pick == 6 ? (int)raw : 0;
    const double bscale = fdp_real(&f), bzero = fdp_real(&f);
    const int is64 = fdp_u8(&f) & 1;
    const int threads = fdp_threads(&f);
    const size_t misalign = fdp_u8(&f) % 8;
    static const int XW[5] = {1, 2, 4, 8, 3};
    const int xwidth = XW[fdp_u8(&f) % 5];
    const int xorder = fdp_u8(&f) % 3;
    const uint64_t xmask = fdp_u64(&f);
    size_t n;
    uint8_t *base;
    const uint8_t *rest = fdp_rest_copy(&f, misalign, &n, &base);

    check_encode(rest, n, is64, bitpix, bscale, bzero, threads, misalign);
    /* integer round trips: plain, and the unsigned conventions of FITS */
    check_roundtrip(rest, n, 8, 0.0, 0, threads);
    check_roundtrip(rest, n, 8, -128.0, 0, threads);
    check_roundtrip(rest, n, 16, 0.0, 0, threads);
    check_roundtrip(rest, n, 16, 32768.0, 0, threads);
    check_roundtrip(rest, n, 32, 0.0, 1, threads);
    check_roundtrip(rest, n, 32, 2147483648.0, 1, threads);
    check_roundtrip(rest, n, 64, 0.0, 1, threads);
    check_load_xor(rest, n, xwidth, xorder, xmask, threads);
    free(base);
    return 0;
}
