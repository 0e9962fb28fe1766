/*
 * lz4_encode.c - LZ4 block encoder, and asdf's lz4 chunks compressed in
 * parallel (the decoder and the chunk layout: lz4.c).
 *
 * Written from the LZ4 block format description (see lz4.c).  The encoder
 * keeps the format's end-of-block rules (the last 5 bytes are literals, no
 * match starts in the last 12 bytes), which the reference decoder enforces.
 */
#include "common.h"
#include "ramps.h"

#define LZ4_MINMATCH 4
#define LZ4_LASTLITERALS 5 /* the last 5 bytes of a block are literals */
#define LZ4_MFLIMIT 12     /* no match starts in the last 12 bytes */
#define LZ4_MAX_DISTANCE 65535
#define LZ4_HASH_LOG 14    /* 16384 entries: 64 KiB of stack per call */

size_t ramps_lz4_bound(size_t n) { return n + n / 255 + 16; }

static inline uint32_t rd32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline void st_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t lz4_hash(uint32_t seq) {
    return (seq * 2654435761u) >> (32 - LZ4_HASH_LOG);
}

/* A length field's extension bytes (after the 15 in the token). */
static inline uint8_t *put_length(uint8_t *op, size_t len) {
    for (; len >= 255; len -= 255) *op++ = 255;
    *op++ = (uint8_t)len;
    return op;
}

/* One sequence: literals src[anchor, ip), then a match (off, ml) unless ml
 * is 0 (the last sequence).  The caller has room for the worst case. */
static uint8_t *put_sequence(uint8_t *op, const uint8_t *lits, size_t nlit, size_t off,
                             size_t ml) {
    uint8_t *token = op++;
    const size_t mcode = ml ? ml - LZ4_MINMATCH : 0;
    *token = (uint8_t)((nlit >= 15 ? 15u : (unsigned)nlit) << 4 |
                       (mcode >= 15 ? 15u : (unsigned)mcode));
    if (nlit >= 15) op = put_length(op, nlit - 15);
    if (nlit) memcpy(op, lits, nlit);
    op += nlit;
    if (ml) {
        *op++ = (uint8_t)off;
        *op++ = (uint8_t)(off >> 8);
        if (mcode >= 15) op = put_length(op, mcode - 15);
    }
    return op;
}

int ramps_lz4_compress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                       size_t *written) {
    if (!written || (!src && n) || !dst || n > RAMPS_LZ4_MAX_INPUT ||
        cap < ramps_lz4_bound(n))
        return RAMPS_EINVAL;
    uint32_t table[1u << LZ4_HASH_LOG];
    memset(table, 0, sizeof table);
    uint8_t *op = dst;
    size_t anchor = 0;
    if (n > LZ4_MFLIMIT) {
        const size_t last_start = n - LZ4_MFLIMIT;     /* a match starts at or before */
        const size_t match_end = n - LZ4_LASTLITERALS; /* and ends at or before */
        size_t ip = 0;
        unsigned misses = 0;
        while (ip <= last_start) {
            const uint32_t seq = rd32(src + ip);
            const uint32_t h = lz4_hash(seq);
            size_t ref = table[h];
            table[h] = (uint32_t)ip;
            if (ref < ip && ip - ref <= LZ4_MAX_DISTANCE && rd32(src + ref) == seq) {
                while (ip > anchor && ref > 0 && src[ip - 1] == src[ref - 1]) {
                    ip--;
                    ref--;
                }
                size_t len = LZ4_MINMATCH;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                while (ip + len + 8 <= match_end) { /* 8 bytes at a time */
                    uint64_t a, b;
                    memcpy(&a, src + ip + len, 8);
                    memcpy(&b, src + ref + len, 8);
                    if (a != b) {
                        len += (size_t)__builtin_ctzll(a ^ b) >> 3;
                        goto extended;
                    }
                    len += 8;
                }
#endif
                while (ip + len < match_end && src[ip + len] == src[ref + len]) len++;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            extended:
#endif
                op = put_sequence(op, src + anchor, ip - anchor, ip - ref, len);
                ip += len;
                anchor = ip;
                misses = 0;
                if (ip <= last_start) table[lz4_hash(rd32(src + ip - 2))] = (uint32_t)(ip - 2);
            } else {
                ip += 1 + (misses++ >> 6); /* skip faster through incompressible bytes */
            }
        }
    }
    op = put_sequence(op, src + anchor, n - anchor, 0, 0);
    *written = (size_t)(op - dst);
    return RAMPS_OK;
}

/* ---- asdf chunks --------------------------------------------------------- */

int ramps_lz4_compress_chunks(const uint8_t *src, size_t n, size_t chunk_size, uint8_t *dst,
                              size_t dst_stride, uint32_t *dst_len, int threads) {
    if ((!src && n) || !dst_len || chunk_size == 0 || chunk_size > RAMPS_LZ4_MAX_INPUT ||
        dst_stride < RAMPS_LZ4_CHUNK_HEADER + ramps_lz4_bound(chunk_size) || (!dst && n))
        return RAMPS_EINVAL;
    const size_t n_chunks = (n + chunk_size - 1) / chunk_size;
    int nt = n_chunks > 1 ? ramps_nthreads(threads, (size_t)-1) : 1;
    if ((size_t)nt > n_chunks) nt = (int)n_chunks;
    (void)nt;
    int status = RAMPS_OK;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (ptrdiff_t c = 0; c < (ptrdiff_t)n_chunks; c++) {
        const size_t lo = (size_t)c * chunk_size;
        const size_t len = n - lo < chunk_size ? n - lo : chunk_size;
        uint8_t *o = dst + (size_t)c * dst_stride;
        size_t clen = 0;
        const int st = ramps_lz4_compress(src + lo, len, o + RAMPS_LZ4_CHUNK_HEADER,
                                          dst_stride - RAMPS_LZ4_CHUNK_HEADER, &clen);
        if (st != RAMPS_OK) {
#pragma omp critical(ramps_lz4_cerr)
            status = st;
            dst_len[c] = 0;
        } else {
            st_be32(o, (uint32_t)(clen + 4));
            st_le32(o + 4, (uint32_t)len);
            dst_len[c] = (uint32_t)(clen + RAMPS_LZ4_CHUNK_HEADER);
        }
    }
    return status;
}
