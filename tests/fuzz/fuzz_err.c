/* libFuzzer harness for the ERR kernels: ramps_err_f32, ramps_err_f32be and
 * ramps_err_f16 (both outputs), with 2 or 3 variances (csrc/variance.c).
 *
 * Input: variant (byte % 4: float32, big-endian float32 bytes, float16 ->
 * float32, float16 -> float16), whether a third variance is given (byte & 1),
 * threads, misalignment of the big-endian inputs (byte % 8), then the
 * variances: the rest split into 2 or 3 arrays of n elements (a ragged tail
 * is dropped).  Checks every output bit for bit against a scalar reference
 * (a NaN first operand wins, quieted; sum in float32; sqrtf; one rounding to
 * float16), which also holds the F16C and SSE2 paths to the plain one, and
 * the chunked run against one thread's. */
#include "fuzz_common.h"

static float addnf(float x, float y) { /* x's NaN wins, quieted, as in ramps.h */
    if (x != x) {
        uint32_t b;
        memcpy(&b, &x, 4);
        b |= 0x00400000u;
        memcpy(&x, &b, 4);
        return x;
    }
    return x + y;
}

static float bef(const uint8_t *p) {
    const uint32_t b = be32(p);
    float x;
    memcpy(&x, &b, 4);
    return x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fdp f = {data, size};
    const int variant = fdp_u8(&f) % 4, three = fdp_u8(&f) & 1, k = three ? 3 : 2;
    const int threads = fdp_threads(&f);
    const size_t misalign = fdp_u8(&f) % 8;
    size_t nbytes;
    uint8_t *base;
    const uint8_t *rest = fdp_rest_copy(&f, misalign, &nbytes, &base);
    const size_t esz = variant >= 2 ? 2 : 4, n = nbytes / (esz * (size_t)k);

    float *o = fuzz_alloc(n * 4), *o1 = fuzz_alloc(n * 4), *ref = fuzz_alloc(n * 4);
    uint16_t *h = fuzz_alloc(n * 2), *h1 = fuzz_alloc(n * 2);
    /* aligned native copies for the typed APIs; the be variant reads rest */
    void *va = fuzz_alloc(n * esz), *vb = fuzz_alloc(n * esz), *vc = fuzz_alloc(n * esz);
    if (n) {
        memcpy(va, rest, n * esz);
        memcpy(vb, rest + n * esz, n * esz);
        memcpy(vc, rest + (three ? 2 : 1) * n * esz, n * esz);
    }
    for (size_t i = 0; i < n; i++) {
        float a, b, c;
        if (variant == 0) a = ((float *)va)[i], b = ((float *)vb)[i], c = ((float *)vc)[i];
        else if (variant == 1)
            a = bef(rest + 4 * i), b = bef(rest + 4 * (n + i)),
            c = three ? bef(rest + 4 * (2 * n + i)) : 0.0f;
        else
            a = ramps_half_to_float(((uint16_t *)va)[i]),
            b = ramps_half_to_float(((uint16_t *)vb)[i]),
            c = ramps_half_to_float(((uint16_t *)vc)[i]);
        float s = addnf(a, b);
        if (three) s = addnf(s, c);
        ref[i] = sqrtf(s);
    }
    int st, st1;
    if (variant == 0) {
        const float *c = three ? vc : NULL;
        st = ramps_err_f32(va, vb, c, o, n, threads);
        st1 = ramps_err_f32(va, vb, c, o1, n, 1);
        FUZZ_CHECK(ramps_err_f32(va, vb, c, o1, RAMPS_MAX_COUNT + 1, 1) == RAMPS_EINVAL);
    } else if (variant == 1) {
        const uint8_t *c = three ? rest + 8 * n : NULL;
        st = ramps_err_f32be(rest, rest + 4 * n, c, o, n, threads);
        st1 = ramps_err_f32be(rest, rest + 4 * n, c, o1, n, 1);
        FUZZ_CHECK(ramps_err_f32be(rest, rest, c, o1, RAMPS_MAX_COUNT + 1, 1) == RAMPS_EINVAL);
    } else {
        const uint16_t *c = three ? vc : NULL;
        const int to16 = variant == 3;
        st = ramps_err_f16(va, vb, c, to16 ? NULL : o, to16 ? h : NULL, n, threads);
        st1 = ramps_err_f16(va, vb, c, to16 ? NULL : o1, to16 ? h1 : NULL, n, 1);
        FUZZ_CHECK(ramps_err_f16(va, vb, c, o, h, n, 1) == RAMPS_EINVAL);
        FUZZ_CHECK(ramps_err_f16(va, vb, c, NULL, NULL, n, 1) == RAMPS_EINVAL);
        FUZZ_CHECK(ramps_err_f16(va, vb, c, o, NULL, RAMPS_MAX_COUNT + 1, 1) == RAMPS_EINVAL);
        if (to16) {
            for (size_t i = 0; i < n; i++) FUZZ_CHECK(h[i] == ramps_float_to_half(ref[i]));
            FUZZ_CHECK(!n || !memcmp(h, h1, n * 2));
        }
    }
    FUZZ_CHECK(st == RAMPS_OK && st1 == RAMPS_OK);
    if (variant != 3) {
        FUZZ_CHECK(!n || !memcmp(o, ref, n * 4));
        FUZZ_CHECK(!n || !memcmp(o, o1, n * 4));
    }
    free(o), free(o1), free(ref), free(h), free(h1), free(va), free(vb), free(vc), free(base);
    return 0;
}
