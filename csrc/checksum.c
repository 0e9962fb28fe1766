/* checksum.c - the FITS 32-bit ones'-complement checksum (standard, App. J). */
#include "ramps.h"
#include "common.h"

/* Words per parallel block (the fuzz build lowers it to cross block seams). */
#ifndef RAMPS_CHECKSUM_BLOCK
#define RAMPS_CHECKSUM_BLOCK ((size_t)1 << 16)
#endif

/* Fold a 64-bit sum of 32-bit words into a 32-bit ones'-complement sum. */
static uint32_t fold(uint64_t s) {
    while (s >> 32) s = (s & 0xffffffffu) + (s >> 32);
    return (uint32_t)s;
}

/* Exact sum of nw big-endian 32-bit words, without byte swapping: the bytes
 * at each position within a word are summed separately (A is the most
 * significant), then sum = 2**24 A + 2**16 B + 2**8 C + D.  In 32-bit lanes
 * two byte sums share a lane as 16-bit fields; 256 words add at most
 * 256 * 255 < 2**16 to a field, so blocks of 256 cannot carry between
 * fields.  Plain and/shift/add on 32-bit lanes: GCC vectorises the inner
 * loop. */
static uint64_t sum_be32(const uint8_t *p, size_t nw) {
    uint64_t sum[4] = {0, 0, 0, 0}; /* byte sums by position: A, B, C, D */
    for (size_t w = 0; w < nw; w += 256) {
        const size_t m = nw - w < 256 ? nw - w : 256;
        const uint8_t *q = p + 4 * w;
        uint32_t even = 0, odd = 0; /* bytes 0 and 2 of memory order / 1 and 3 */
        for (size_t j = 0; j < m; j++) {
            uint32_t v;
            memcpy(&v, q + 4 * j, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
            even += (v >> 8) & 0x00ff00ffu; /* A<<16 | C */
            odd += v & 0x00ff00ffu;         /* B<<16 | D */
#else
            even += v & 0x00ff00ffu;        /* C<<16 | A */
            odd += (v >> 8) & 0x00ff00ffu;  /* D<<16 | B */
#endif
        }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        sum[0] += even >> 16, sum[2] += even & 0xffffu;
        sum[1] += odd >> 16, sum[3] += odd & 0xffffu;
#else
        sum[0] += even & 0xffffu, sum[2] += even >> 16;
        sum[1] += odd & 0xffffu, sum[3] += odd >> 16;
#endif
    }
    return (sum[0] << 24) + (sum[1] << 16) + (sum[2] << 8) + sum[3];
}

int ramps_fits_checksum(const uint8_t *buf, size_t n, uint32_t initial,
                        uint32_t *result, int threads) {
    if (!result || n % 4 != 0 || (n && !buf) || ramps_too_many(n)) return RAMPS_EINVAL;
    const size_t nwords = n / 4;
    /* Sum in blocks (exact in uint64: 2**16 words of < 2**32 each), fold
     * each block to 32 bits, add the folds.  The ones'-complement sum is
     * associative and fold(x) is 0 only for x = 0, so any split gives the
     * same result: bit-identical for any thread count and block size. */
    const size_t blk = RAMPS_CHECKSUM_BLOCK; /* words; 256 KiB: ~8 blocks per thread at 4 MB */
    const ptrdiff_t nblk = (ptrdiff_t)((nwords + blk - 1) / blk);
    uint64_t total = initial;
    const int nt = ramps_nthreads(threads, nwords);
    (void)nt;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) reduction(+:total)
    for (ptrdiff_t b = 0; b < nblk; b++) {
        const size_t w0 = (size_t)b * blk;
        const size_t w1 = w0 + blk < nwords ? w0 + blk : nwords;
        total += fold(sum_be32(buf + 4 * w0, w1 - w0));
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
