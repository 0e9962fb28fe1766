/* checksum.c - the FITS 32-bit ones'-complement checksum (standard, App. J). */
#include "ramps.h"
#include "common.h"

/* Fold a 64-bit sum of 32-bit words into a 32-bit ones'-complement sum. */
static uint32_t fold(uint64_t s) {
    while (s >> 32) s = (s & 0xffffffffu) + (s >> 32);
    return (uint32_t)s;
}

int ramps_fits_checksum(const uint8_t *buf, size_t n, uint32_t initial,
                        uint32_t *result, int threads) {
    if (!result || n % 4 != 0 || (n && !buf)) return RAMPS_EINVAL;
    const size_t nwords = n / 4;
    /* Sum in blocks: a uint64 holds 2**32 words without overflow, and
     * ones'-complement addition is associative, so any split gives the same
     * result (integer sums: bit-identical for any thread count). */
    const size_t blk = (size_t)1 << 20;
    const ptrdiff_t nblk = (ptrdiff_t)((nwords + blk - 1) / blk);
    uint64_t total = initial;
    const int nt = ramps_nthreads(threads, nwords);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt) reduction(+:total)
    for (ptrdiff_t b = 0; b < nblk; b++) {
        const size_t w0 = (size_t)b * blk;
        const size_t w1 = w0 + blk < nwords ? w0 + blk : nwords;
        uint64_t s = 0;
        for (size_t w = w0; w < w1; w++) s += ld_be32(buf + 4 * w);
        total += fold(s);
    }
    *result = fold(total);
    return RAMPS_OK;
}

void ramps_checksum_encode(uint32_t value, int complement, char out[17]) {
    static const uint8_t exclude[] = {0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40,
                                      0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60};
    if (complement) value = ~value;
    uint8_t asc[16];
    for (int i = 0; i < 4; i++) {
        const int byte = (int)((value >> (24 - 8 * i)) & 0xffu);
        const int quot = byte / 4 + '0', rem = byte % 4;
        int ch[4] = {quot + rem, quot, quot, quot};
        int changed = 1;
        while (changed) { /* step pairs away from punctuation, keeping sums */
            changed = 0;
            for (size_t e = 0; e < sizeof exclude; e++)
                for (int j = 0; j < 4; j += 2)
                    if (ch[j] == exclude[e] || ch[j + 1] == exclude[e]) {
                        ch[j]++;
                        ch[j + 1]--;
                        changed = 1;
                    }
        }
        for (int j = 0; j < 4; j++) asc[4 * j + i] = (uint8_t)ch[j];
    }
    for (int i = 0; i < 16; i++) out[i] = (char)asc[(i + 15) % 16]; /* rotate right 1 */
    out[16] = '\0';
}

const char *ramps_strerror(int status) {
    switch (status) {
    case RAMPS_OK: return "success";
    case RAMPS_EINVAL: return "invalid argument";
    case RAMPS_EBITPIX: return "unsupported BITPIX (expected 8, 16, 32, 64, -32 or -64)";
    case RAMPS_ERANGE: return "value is NaN or out of range for the target type";
    case RAMPS_ENOMEM: return "out of memory";
    case RAMPS_EFORMAT: return "malformed FITS structure";
    default: return "unknown error";
    }
}

int ramps_max_threads(int threads) { return ramps_nthreads(threads, RAMPS_PAR_MIN); }

int ramps_have_openmp(void) {
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}
