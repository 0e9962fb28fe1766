/* libFuzzer harness for ramps_fits_checksum and ramps_checksum_encode
 * (csrc/checksum.c).
 *
 * Input: initial value (4 bytes), split point (4 bytes), threads,
 * misalignment (byte % 8), then the bytes summed (any length: one not a
 * multiple of 4 must be refused).  Checks: the sum equals a plain word-by-word
 * ones'-complement reference; summing the two halves of any split at a word
 * boundary, the second from the first's result, gives the sum of the whole;
 * the chunked run equals one thread's; the 16-character encoding has only
 * the allowed characters and decodes to the (complemented) value. */
#include "fuzz_common.h"

static uint32_t ref_sum(const uint8_t *p, size_t n, uint32_t initial) {
    uint64_t s = initial;
    for (size_t i = 0; i + 4 <= n; i += 4) {
        s += be32(p + i);
        s = (s & 0xffffffffu) + (s >> 32);
    }
    while (s >> 32) s = (s & 0xffffffffu) + (s >> 32);
    return (uint32_t)s;
}

static void check_encoding(uint32_t value, int complement) {
    char out[18];
    out[17] = 'X';
    ramps_checksum_encode(value, complement, out);
    FUZZ_CHECK(out[16] == '\0' && out[17] == 'X');
    const uint32_t v = complement ? ~value : value;
    unsigned sums[4] = {0, 0, 0, 0};
    for (int i = 0; i < 16; i++) {
        const unsigned char c = (unsigned char)out[i];
        FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
        /* out is rotated right by one: out[i] is asc[(i + 15) % 16], whose
         * byte position is ((i + 15) % 16) % 4 */
        sums[((i + 15) % 16) % 4] += c - '0';
    }
    for (int k = 0; k < 4; k++) FUZZ_CHECK(sums[k] == ((v >> (24 - 8 * k)) & 0xffu));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fdp f = {data, size};
    const uint32_t initial = fdp_u32(&f), split = fdp_u32(&f);
    const int threads = fdp_threads(&f);
    const size_t misalign = fdp_u8(&f) % 8;
    size_t n;
    uint8_t *base;
    const uint8_t *buf = fdp_rest_copy(&f, misalign, &n, &base);

    uint32_t whole = 0xdeadbeef, one = 0, a = 0, b = 0;
    int st = ramps_fits_checksum(buf, n, initial, &whole, threads);
    if (n % 4) {
        FUZZ_CHECK(st == RAMPS_EINVAL);
        n -= n % 4; /* the whole words */
        st = ramps_fits_checksum(buf, n, initial, &whole, threads);
    }
    FUZZ_CHECK(st == RAMPS_OK);
    FUZZ_CHECK(whole == ref_sum(buf, n, initial));
    FUZZ_CHECK(ramps_fits_checksum(buf, n, initial, &one, 1) == RAMPS_OK && one == whole);
    const size_t k = n ? (size_t)split % (n / 4 + 1) * 4 : 0;
    FUZZ_CHECK(ramps_fits_checksum(buf, k, initial, &a, threads) == RAMPS_OK);
    FUZZ_CHECK(ramps_fits_checksum(buf + k, n - k, a, &b, threads) == RAMPS_OK);
    /* ones' complement has two zeros: 0 and 0xffffffff sum alike */
    FUZZ_CHECK(b == whole || (b == 0 && whole == 0xffffffffu) ||
               (b == 0xffffffffu && whole == 0));
    FUZZ_CHECK(ramps_fits_checksum(buf, n, 0, NULL, 1) == RAMPS_EINVAL);
    FUZZ_CHECK(ramps_fits_checksum(buf, SIZE_MAX - 3, initial, &one, threads) ==
               RAMPS_EINVAL); /* more bytes than any buffer: refused before any access */
    check_encoding(whole, 0);
    check_encoding(whole, 1);
    check_encoding(initial, 1);
    free(base);
    return 0;
}
