/* libFuzzer harness for the LZ4 codec (csrc/lz4.c); see README.md here.
 *
 * Each input is used three ways: as a raw LZ4 block decoded into buffers of
 * several sizes (exact-size fences around them catch any write outside),
 * as an asdf lz4 chunk stream (scanned, then decoded raw and uint16->float32
 * with 1 and 2 threads, results compared), and as data to compress and
 * decode back (must round-trip).  ASan/UBSan catch out-of-bounds accesses. */
#include "ramps.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FENCE 32

static void decode_raw(const uint8_t *data, size_t size, size_t cap) {
    uint8_t *buf = (uint8_t *)malloc(cap + 2 * FENCE);
    if (!buf) return;
    memset(buf, 0xA5, cap + 2 * FENCE);
    size_t written = 0;
    int problem = 0;
    int st = ramps_lz4_decompress(data, size, buf + FENCE, cap, &written, &problem);
    if (st != RAMPS_OK && st != RAMPS_EFORMAT) abort();
    if (written > cap) abort();
    if (st == RAMPS_EFORMAT && (problem < 1 || problem > 4)) abort();
    for (size_t i = 0; i < FENCE; i++)
        if (buf[i] != 0xA5 || buf[FENCE + cap + i] != 0xA5) abort();
    free(buf);
}

static void decode_chunks(const uint8_t *data, size_t size) {
    size_t n = 0;
    uint64_t total = 0;
    ramps_lz4_error err;
    if (ramps_lz4_scan_chunks(data, size, NULL, NULL, NULL, NULL, 0, &n, &total, &err) !=
        RAMPS_OK)
        return;
    if (n == 0 || total > (1u << 22)) return;
    uint64_t *so = malloc(n * 8), *ro = malloc(n * 8);
    uint32_t *sl = malloc(n * 4), *rl = malloc(n * 4);
    uint8_t *a = malloc(total + 1), *b = malloc(2 * total + 4);
    if (so && ro && sl && rl && a && b &&
        ramps_lz4_scan_chunks(data, size, so, sl, ro, rl, n, &n, &total, &err) == RAMPS_OK) {
        int s1 = ramps_lz4_decode_chunks(data, size, so, sl, ro, rl, n, 0, a, total,
                                         RAMPS_LZ4_RAW, 1, NULL, NULL, &err);
        size_t c1 = err.chunk;
        int s2 = ramps_lz4_decode_chunks(data, size, so, sl, ro, rl, n, 0, a, total,
                                         RAMPS_LZ4_RAW, 2, NULL, NULL, &err);
        if (s1 != s2 || (s1 == RAMPS_EFORMAT && c1 != err.chunk)) abort();
        int s3 = ramps_lz4_decode_chunks(data, size, so, sl, ro, rl, n, 0, b, 2 * total,
                                         RAMPS_LZ4_U16_F32, 2, NULL, NULL, &err);
        if (s3 != RAMPS_OK && s3 != RAMPS_EFORMAT && s3 != RAMPS_EINVAL) abort();
    }
    free(so); free(ro); free(sl); free(rl); free(a); free(b);
}

static void roundtrip(const uint8_t *data, size_t size) {
    size_t cap = ramps_lz4_bound(size), clen = 0, back = 0;
    int problem = 0;
    uint8_t *c = malloc(cap), *d = malloc(size + 1);
    if (!c || !d) abort();
    if (ramps_lz4_compress(data, size, c, cap, &clen) != RAMPS_OK || clen > cap) abort();
    if (ramps_lz4_decompress(c, clen, d, size, &back, &problem) != RAMPS_OK) abort();
    if (back != size || (size && memcmp(d, data, size))) abort();
    free(c);
    free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    decode_raw(data, size, 0);
    decode_raw(data, size, 64);
    decode_raw(data, size, 4096);
    decode_raw(data, size, 255 * size + 64 < (1u << 20) ? 255 * size + 64 : (1u << 20));
    decode_chunks(data, size);
    roundtrip(data, size);
    return 0;
}

#ifdef RAMPS_FUZZ_STANDALONE
/* Without clang/libFuzzer: gcc -DRAMPS_FUZZ_STANDALONE -fsanitize=address,undefined
 * ... runs N random and mutated inputs (a valid compressed block, flipped). */
#include <stdio.h>
int main(int argc, char **argv) {
    long iters = argc > 1 ? atol(argv[1]) : 100000;
    uint64_t x = 88172645463325252ull;
    uint8_t src[4096], blk[8192];
    for (long it = 0; it < iters; it++) {
        size_t n = 0, clen = 0;
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        n = x % sizeof src;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            src[i] = (uint8_t)(it % 3 ? (x % 4) : x); /* compressible or not */
        }
        LLVMFuzzerTestOneInput(src, n);
        ramps_lz4_compress(src, n, blk, sizeof blk, &clen);
        for (int k = 0; k < 4 && clen; k++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            blk[x % clen] ^= (uint8_t)(x >> 32);
        }
        LLVMFuzzerTestOneInput(blk, clen - (clen ? x % (clen / 4 + 1) : 0));
    }
    printf("%ld iterations ok\n", iters);
    return 0;
}
#endif
