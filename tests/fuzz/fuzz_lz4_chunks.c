/* libFuzzer harness for asdf's lz4 chunks and the LZ4 block codec under them
 * (csrc/lz4.c): ramps_lz4_decompress, _compress, _scan_chunks,
 * _decode_chunks and _compress_chunks, with parameters from the input
 * (fuzz_lz4.c, from the Roman work, decodes fixed capacities and compares
 * thread counts).  Built only when csrc/ramps.h declares them (build.sh and
 * CMakeLists.txt look for ramps_lz4_decompress).
 *
 * Input: output capacity (2 bytes), conversion (byte % 4: raw, uint16 ->
 * float32 native or swapped, an invalid 3), chunk size (2 bytes % 4096 + 1,
 * raised so that there are at most 64 chunks), threads,
 * then the bytes, used three ways:
 *   - as one raw LZ4 block decoded into the capacity: RAMPS_OK or
 *     RAMPS_EFORMAT with a problem code, never more than cap bytes;
 *   - as an asdf lz4 block: scanned (counts alone, then records, which must
 *     agree and lie inside the input) and decoded into an exact-size output,
 *     every chunk reported done once;
 *   - as data: compressed as a block and as chunks of the chunk size, then
 *     scanned and decoded again, which must give the data back exactly, and
 *     (chunks of an even size) decoded to float32, native and byte-swapped,
 *     equal to the scalar conversion. */
#include "fuzz_common.h"

#define MAX_RAW ((uint64_t)1 << 20)
#define MAX_CHUNKS 4096

static void check_block(const uint8_t *in, size_t n, size_t cap) {
    uint8_t *dst = fuzz_alloc(cap);
    size_t written = 12345;
    int problem = -1;
    const int st = ramps_lz4_decompress(in, n, dst, cap, &written, &problem);
    FUZZ_CHECK(st == RAMPS_OK || st == RAMPS_EFORMAT);
    FUZZ_CHECK(written <= cap);
    FUZZ_CHECK(st == RAMPS_OK ? problem == 0 : problem >= 1 && problem <= 5);
    free(dst);
}

static void check_roundtrip(const uint8_t *in, size_t n) {
    const size_t bound = ramps_lz4_bound(n);
    uint8_t *z = fuzz_alloc(bound), *back = fuzz_alloc(n);
    size_t zlen = 0, got = 0;
    int problem = -1;
    FUZZ_CHECK(ramps_lz4_compress(in, n, z, bound, &zlen) == RAMPS_OK && zlen <= bound);
    FUZZ_CHECK(ramps_lz4_decompress(z, zlen, back, n, &got, &problem) == RAMPS_OK);
    FUZZ_CHECK(got == n && (!n || !memcmp(back, in, n)));
    if (n) { /* one byte short: the block decodes to more than fits */
        FUZZ_CHECK(ramps_lz4_decompress(z, zlen, back, n - 1, &got, &problem) ==
                   RAMPS_EFORMAT);
        FUZZ_CHECK(got <= n - 1 && problem >= 1 && problem <= 5);
    }
    free(z), free(back);
}

/* ramps_lz4_decode_chunks' done callback: counts the calls per chunk. */
static void count_done(void *ctx, size_t chunk) { ((uint8_t *)ctx)[chunk]++; }

/* Scan src as asdf lz4 chunks; decode them into an exact-size output. */
static void check_chunks(const uint8_t *src, size_t n, int convert, int threads,
                         const uint8_t *expect) {
    size_t k = 0, k2 = 0;
    uint64_t total = 0, total2 = 0;
    ramps_lz4_error err;
    const int st = ramps_lz4_scan_chunks(src, n, NULL, NULL, NULL, NULL, 0, &k, &total, &err);
    FUZZ_CHECK(st == RAMPS_OK || st == RAMPS_EFORMAT);
    if (expect) FUZZ_CHECK(st == RAMPS_OK);
    if (st != RAMPS_OK || k > MAX_CHUNKS || total > MAX_RAW) return;
    uint64_t *soff = fuzz_alloc(8 * k + 8), *roff = fuzz_alloc(8 * k + 8);
    uint32_t *slen = fuzz_alloc(4 * k + 4), *rlen = fuzz_alloc(4 * k + 4);
    FUZZ_CHECK(ramps_lz4_scan_chunks(src, n, soff, slen, roff, rlen, k, &k2, &total2, &err) ==
               RAMPS_OK);
    FUZZ_CHECK(k2 == k && total2 == total);
    uint64_t sum = 0;
    for (size_t c = 0; c < k; c++) {
        FUZZ_CHECK(soff[c] <= n && slen[c] <= n - soff[c] && roff[c] == sum);
        sum += rlen[c];
    }
    if (k) /* one record short: refused */
        FUZZ_CHECK(ramps_lz4_scan_chunks(src, n, soff, slen, roff, rlen, k - 1, &k2, &total2,
                                         &err) == RAMPS_EINVAL);
    const unsigned shift = convert == 1 || convert == 2;
    const size_t out_size = (size_t)total << shift;
    uint8_t *out = fuzz_alloc(out_size);
    uint8_t *seen = fuzz_alloc(k);
    memset(seen, 0, k);
    const int ds = ramps_lz4_decode_chunks(src, n, soff, slen, roff, rlen, k, 0, out, out_size,
                                           convert, threads, count_done, seen, &err);
    FUZZ_CHECK(ds == RAMPS_OK || ds == RAMPS_EFORMAT || ds == RAMPS_EINVAL);
    for (size_t c = 0; c < k; c++) /* each chunk reported done once, unless refused */
        FUZZ_CHECK(seen[c] == (ds == RAMPS_EINVAL ? 0 : 1));
    free(seen);
    if (convert == 3) FUZZ_CHECK(ds == RAMPS_EINVAL);
    if (ds == RAMPS_EFORMAT) FUZZ_CHECK(err.chunk < k && err.problem >= 1 && err.problem <= 5);
    if (expect && convert == 0)
        FUZZ_CHECK(ds == RAMPS_OK && (!total || !memcmp(out, expect, total)));
    if (total) /* the last non-empty chunk lands outside an output one byte short */
        FUZZ_CHECK(ramps_lz4_decode_chunks(src, n, soff, slen, roff, rlen, k, 0, out,
                                           (size_t)total - 1, 0, threads, NULL, NULL, &err) == RAMPS_EINVAL);
    free(soff), free(roff), free(slen), free(rlen), free(out);
}

/* Data -> asdf lz4 chunks of an even size -> decoded to float32, as native
 * and as byte-swapped uint16: each value equals the scalar conversion (the
 * decoder writes uint16 into the upper half of each chunk's float32 range
 * and converts there in place; any overlap bug changes values). */
static void check_converted(const uint8_t *in, size_t n, size_t chunk, int threads) {
    n &= ~(size_t)1;
    chunk += chunk & 1;
    const size_t nch = (n + chunk - 1) / chunk;
    const size_t stride = RAMPS_LZ4_CHUNK_HEADER + ramps_lz4_bound(chunk);
    uint8_t *z = fuzz_alloc(nch * stride), *block = fuzz_alloc(nch * stride);
    uint32_t *zlen = fuzz_alloc(4 * nch);
    FUZZ_CHECK(ramps_lz4_compress_chunks(in, n, chunk, z, stride, zlen, threads) == RAMPS_OK);
    size_t blen = 0, k = 0;
    for (size_t c = 0; c < nch; c++) {
        memcpy(block + blen, z + c * stride, zlen[c]);
        blen += zlen[c];
    }
    uint64_t total = 0;
    ramps_lz4_error err;
    uint64_t *soff = fuzz_alloc(8 * nch + 8), *roff = fuzz_alloc(8 * nch + 8);
    uint32_t *slen = fuzz_alloc(4 * nch + 4), *rlen = fuzz_alloc(4 * nch + 4);
    FUZZ_CHECK(ramps_lz4_scan_chunks(block, blen, soff, slen, roff, rlen, nch, &k, &total,
                                     &err) == RAMPS_OK && k == nch && total == n);
    uint8_t *out = fuzz_alloc(2 * n);
    for (int convert = RAMPS_LZ4_U16_F32; convert <= RAMPS_LZ4_U16SWAP_F32; convert++) {
        FUZZ_CHECK(ramps_lz4_decode_chunks(block, blen, soff, slen, roff, rlen, k, 0, out,
                                           2 * n, convert, threads, NULL, NULL, &err) == RAMPS_OK);
        for (size_t i = 0; i < n / 2; i++) {
            uint16_t v;
            memcpy(&v, in + 2 * i, 2);
            if (convert == RAMPS_LZ4_U16SWAP_F32) v = (uint16_t)(in[2 * i] << 8 | in[2 * i + 1]);
            const float want = (float)v;
            FUZZ_CHECK(!memcmp(out + 4 * i, &want, 4));
        }
    }
    free(z), free(block), free(zlen), free(soff), free(roff), free(slen), free(rlen), free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fdp f = {data, size};
    const size_t cap = fdp_u16(&f);
    const int convert = fdp_u8(&f) % 4;
    size_t chunk = 1 + fdp_u16(&f) % 4096;
    const int threads = fdp_threads(&f);
    size_t n;
    uint8_t *base;
    const uint8_t *in = fdp_rest_copy(&f, 0, &n, &base);

    check_block(in, n, cap);
    check_chunks(in, n, convert, threads, NULL);
    check_roundtrip(in, n);

    /* data -> asdf lz4 chunks -> scan -> decode: the data again (at most 64
     * chunks: each compression clears a 64 KiB table, tiny chunks only slow) */
    if (n / chunk > 63) chunk = n / 63 + 1;
    const size_t nch = (n + chunk - 1) / chunk;
    const size_t stride = RAMPS_LZ4_CHUNK_HEADER + ramps_lz4_bound(chunk);
    uint8_t *z = fuzz_alloc(nch * stride), *block = fuzz_alloc(nch * stride);
    uint32_t *zlen = fuzz_alloc(4 * nch);
    FUZZ_CHECK(ramps_lz4_compress_chunks(in, n, chunk, z, stride, zlen, threads) == RAMPS_OK);
    FUZZ_CHECK(ramps_lz4_compress_chunks(in, n, chunk, z, stride - 1, zlen, threads) ==
               RAMPS_EINVAL);
    size_t blen = 0;
    for (size_t c = 0; c < nch; c++) {
        FUZZ_CHECK(zlen[c] >= RAMPS_LZ4_CHUNK_HEADER && zlen[c] <= stride);
        memcpy(block + blen, z + c * stride, zlen[c]);
        blen += zlen[c];
    }
    check_chunks(block, blen, 0, threads, in);
    check_converted(in, n, chunk, threads);
    free(z), free(block), free(zlen), free(base);
    return 0;
}
