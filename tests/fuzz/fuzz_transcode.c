/* libFuzzer harness for ramps_transcode_u16_f32be (csrc/encode.c).
 *
 * Input: threads, input and output misalignment (bytes % 8), then the
 * stored big-endian int16 (BZERO = 32768) values; a trailing odd byte is not
 * an element.  Checks each output against a scalar reference (the uint16
 * value as a big-endian float32), against decode + encode through the
 * library's own native route, and the chunked run against one thread's. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fdp f = {data, size};
    const int threads = fdp_threads(&f);
    const size_t in_mis = fdp_u8(&f) % 8, out_mis = fdp_u8(&f) % 8;
    size_t nbytes;
    uint8_t *base;
    const uint8_t *in = fdp_rest_copy(&f, in_mis, &nbytes, &base);
    const size_t n = nbytes / 2;
    uint8_t *obase = fuzz_alloc(out_mis + 4 * n), *out = obase + out_mis;
    uint8_t *out1 = fuzz_alloc(4 * n), *via = fuzz_alloc(4 * n);
    float *native = fuzz_alloc(4 * n);

    FUZZ_CHECK(ramps_transcode_u16_f32be(in, out, n, threads) == RAMPS_OK);
    for (size_t i = 0; i < n; i++) {
        const float want = (float)(uint16_t)(be16(in + 2 * i) ^ 0x8000u);
        uint32_t bits;
        memcpy(&bits, &want, 4);
        FUZZ_CHECK(be32(out + 4 * i) == bits);
    }
    FUZZ_CHECK(ramps_decode_typed_f32(in, native, n, RAMPS_INT16, RAMPS_BIG_ENDIAN, 1.0,
                                      32768.0, threads) == RAMPS_OK);
    FUZZ_CHECK(ramps_encode_f32(native, via, n, -32, 1.0, 0.0, threads) == RAMPS_OK);
    FUZZ_CHECK(!n || !memcmp(out, via, 4 * n));
    FUZZ_CHECK(ramps_transcode_u16_f32be(in, out1, n, 1) == RAMPS_OK);
    FUZZ_CHECK(!n || !memcmp(out, out1, 4 * n));
    FUZZ_CHECK(ramps_transcode_u16_f32be(NULL, out1, n + 1, 1) == RAMPS_EINVAL);
    FUZZ_CHECK(ramps_transcode_u16_f32be(in, out1, RAMPS_MAX_COUNT + 1 + n, threads) ==
               RAMPS_EINVAL); /* a length no buffer holds: refused before any access */
    free(base), free(obase), free(out1), free(via), free(native);
    return 0;
}
