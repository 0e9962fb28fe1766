/*
 * lz4.c - LZ4 block decoder and encoder, and the chunk layout asdf uses.
 *
 * Written from the LZ4 block format description (not from the reference
 * code): a block is a series of sequences, each
 *   token (1 byte: literal length in the high 4 bits, match length - 4 in
 *   the low 4 bits; 15 in either means "more length bytes follow", each
 *   added until one is not 255), literals, a 2-byte little-endian offset
 *   (1..65535, counted back from the current output position) and the
 *   match (copied from earlier output, possibly overlapping itself).
 * The last sequence has literals only.  The encoder also keeps the format's
 * end-of-block rules (the last 5 bytes are literals, no match starts in the
 * last 12 bytes), which the reference decoder enforces.
 *
 * asdf's "lz4" block compression is a run of chunks: a 4-byte big-endian
 * size n, then n bytes which are python-lz4's framing of one block: a 4-byte
 * little-endian decompressed size, then the raw LZ4 block (n - 4 bytes).
 *
 * The decoder never reads outside src[0 .. n) nor writes outside
 * dst[0 .. cap), whatever the input; it reports what went wrong.
 */
#include "common.h"
#include "ramps.h"

#include <stdlib.h>

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

/* ---- decoder ------------------------------------------------------------- */

/* Copy a match of ml bytes from off bytes back; op + ml <= oend is checked
 * by the caller, off <= op - dst as well.  May write up to 16 bytes past
 * op + ml but never past oend. */
static inline void copy_match(uint8_t *op, const uint8_t *oend, size_t off, size_t ml) {
    const uint8_t *m = op - off;
    if (off >= 16 && ml <= 16 && (size_t)(oend - op) >= 16) {
        memcpy(op, m, 16); /* m + 16 <= op: no overlap */
    } else if (off >= ml) {
        memcpy(op, m, ml);
    } else if (off == 1) {
        memset(op, *m, ml);
    } else if (off >= 8) {
        size_t i = 0;
        for (; i + 8 <= ml; i += 8) memcpy(op + i, m + i, 8); /* 8 <= off: disjoint */
        for (; i < ml; i++) op[i] = m[i];
    } else {
        for (size_t i = 0; i < ml; i++) op[i] = m[i]; /* a short repeating pattern */
    }
}

int ramps_lz4_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                         size_t *written, int *problem) {
    if (!written || !problem || (!src && n) || (!dst && cap)) return RAMPS_EINVAL;
    uint8_t none = 0; /* no pointer arithmetic on NULL (n or cap is 0 then) */
    if (!src) src = &none;
    if (!dst) dst = &none;
    *written = 0;
    *problem = 0;
    const uint8_t *ip = src;
    const uint8_t *const iend = src + n;
    uint8_t *op = dst;
    uint8_t *const oend = dst + cap;
    int bad = 0;
    if (n == 0) {
        *problem = RAMPS_LZ4_TRUNCATED;
        return RAMPS_EFORMAT;
    }
    for (;;) {
        if (ip >= iend) { bad = RAMPS_LZ4_TRUNCATED; break; }
        const unsigned token = *ip++;
        size_t lit = token >> 4;
        if (lit == 15) {
            unsigned b;
            do {
                if (ip >= iend) { bad = RAMPS_LZ4_TRUNCATED; break; }
                b = *ip++;
                lit += b;
            } while (b == 255 && lit <= n);
            if (bad) break;
        }
        if ((size_t)(iend - ip) < lit) { bad = RAMPS_LZ4_TRUNCATED; break; }
        if ((size_t)(oend - op) < lit) { bad = RAMPS_LZ4_TOO_LONG; break; }
        if (lit <= 16 && iend - ip >= 16 && oend - op >= 16)
            memcpy(op, ip, 16); /* wild copy: the extra bytes are overwritten later */
        else if (lit)
            memcpy(op, ip, lit);
        op += lit;
        ip += lit;
        if (ip == iend) break; /* the last sequence: literals only */
        if (iend - ip < 2) { bad = RAMPS_LZ4_TRUNCATED; break; }
        const size_t off = (size_t)ip[0] | (size_t)ip[1] << 8;
        ip += 2;
        if (off == 0 || off > (size_t)(op - dst)) { bad = RAMPS_LZ4_BAD_OFFSET; break; }
        size_t ml = token & 15;
        if (ml == 15) {
            unsigned b;
            do {
                if (ip >= iend) { bad = RAMPS_LZ4_TRUNCATED; break; }
                b = *ip++;
                ml += b;
            } while (b == 255 && ml <= cap);
            if (bad) break;
        }
        ml += LZ4_MINMATCH;
        if ((size_t)(oend - op) < ml) { bad = RAMPS_LZ4_TOO_LONG; break; }
        copy_match(op, oend, off, ml);
        op += ml;
    }
    *written = (size_t)(op - dst);
    if (bad) {
        *problem = bad;
        return RAMPS_EFORMAT;
    }
    return RAMPS_OK;
}

/* ---- encoder ------------------------------------------------------------- */

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

int ramps_lz4_scan_chunks(const uint8_t *src, size_t n, uint64_t *src_off, uint32_t *src_len,
                          uint64_t *raw_off, uint32_t *raw_len, size_t max_chunks,
                          size_t *n_chunks, uint64_t *raw_total, ramps_lz4_error *err) {
    if (!n_chunks || !raw_total || (!src && n)) return RAMPS_EINVAL;
    const int fill = src_off && src_len && raw_off && raw_len;
    size_t pos = 0, k = 0;
    uint64_t total = 0;
    int bad = 0;
    while (pos < n) {
        if (n - pos < RAMPS_LZ4_CHUNK_HEADER) { bad = RAMPS_LZ4_TRUNCATED; break; }
        const uint32_t size = ld_be32(src + pos);
        if (size < 4) { bad = RAMPS_LZ4_BAD_CHUNK; break; }
        if ((uint64_t)size > (uint64_t)(n - pos - 4)) { bad = RAMPS_LZ4_TRUNCATED; break; }
        const uint32_t raw = ld_le32(src + pos + 4);
        if (fill) {
            if (k >= max_chunks) return RAMPS_EINVAL;
            src_off[k] = pos + RAMPS_LZ4_CHUNK_HEADER;
            src_len[k] = size - 4;
            raw_off[k] = total;
            raw_len[k] = raw;
        }
        total += raw;
        k++;
        pos += 4 + (size_t)size;
    }
    *n_chunks = k;
    *raw_total = total;
    if (bad) {
        if (err) {
            err->chunk = k;
            err->problem = bad;
            err->produced = pos; /* the offset of the bad chunk header */
        }
        return RAMPS_EFORMAT;
    }
    return RAMPS_OK;
}

/* Convert count stored elements from in to the output type. */
static void convert_out(const uint8_t *in, uint8_t *out, size_t count, int convert) {
    float *o = (float *)(void *)out;
    if (convert == RAMPS_LZ4_U16_F32) {
        for (size_t i = 0; i < count; i++) {
            uint16_t v;
            memcpy(&v, in + 2 * i, 2);
            o[i] = (float)v;
        }
    } else { /* RAMPS_LZ4_U16SWAP_F32 */
        for (size_t i = 0; i < count; i++) o[i] = (float)ld_be16(in + 2 * i);
    }
}

int ramps_lz4_decode_chunks(const uint8_t *src, size_t n, const uint64_t *src_off,
                            const uint32_t *src_len, const uint64_t *raw_off,
                            const uint32_t *raw_len, size_t n_chunks, uint64_t raw_base,
                            uint8_t *out, size_t out_size, int convert, int threads,
                            ramps_lz4_error *err) {
    if (!err || (n_chunks && (!src_off || !src_len || !raw_off || !raw_len)) ||
        (!src && n) || (!out && out_size))
        return RAMPS_EINVAL;
    if (convert != RAMPS_LZ4_RAW && convert != RAMPS_LZ4_U16_F32 &&
        convert != RAMPS_LZ4_U16SWAP_F32)
        return RAMPS_EINVAL;
    const unsigned shift = convert == RAMPS_LZ4_RAW ? 0 : 1; /* out bytes = raw << shift */
    size_t scratch = 0;
    for (size_t i = 0; i < n_chunks; i++) {
        if (src_off[i] > n || src_len[i] > n - src_off[i] || raw_off[i] < raw_base)
            return RAMPS_EINVAL;
        const uint64_t at = raw_off[i] - raw_base;
        if (shift && ((at | raw_len[i]) & 1)) return RAMPS_EINVAL; /* split element */
        if (at > (uint64_t)out_size >> shift ||
            raw_len[i] > ((uint64_t)out_size >> shift) - at)
            return RAMPS_EINVAL;
        if (raw_len[i] > scratch) scratch = raw_len[i];
    }
    err->chunk = n_chunks;
    err->problem = 0;
    err->produced = 0;
    int status = RAMPS_OK;
    int nt = n_chunks > 1 ? ramps_nthreads(threads, (size_t)-1) : 1;
    if ((size_t)nt > n_chunks) nt = (int)n_chunks;
    (void)nt;
#pragma omp parallel num_threads(nt)
    {
        uint8_t *buf = NULL;
        int ok = 1;
        if (shift && scratch) {
            buf = (uint8_t *)malloc(scratch);
            ok = buf != NULL;
        }
#pragma omp for schedule(dynamic, 1)
        for (ptrdiff_t c = 0; c < (ptrdiff_t)n_chunks; c++) {
            int problem = 0, st = RAMPS_OK;
            size_t got = 0;
            const size_t want = raw_len[c];
            uint8_t *target = out + ((raw_off[c] - raw_base) << shift);
            if (!ok) {
                st = RAMPS_ENOMEM;
            } else {
                st = ramps_lz4_decompress(src + src_off[c], src_len[c], shift ? buf : target,
                                          want, &got, &problem);
                if (st == RAMPS_OK && got != want) {
                    st = RAMPS_EFORMAT;
                    problem = RAMPS_LZ4_TOO_SHORT;
                }
                if (st == RAMPS_OK && shift) convert_out(buf, target, want / 2, convert);
            }
            if (st != RAMPS_OK) {
#pragma omp critical(ramps_lz4_err)
                {
                    if ((size_t)c < err->chunk) {
                        err->chunk = (size_t)c;
                        err->problem = problem;
                        err->produced = got;
                        status = st;
                    }
                }
            }
        }
        free(buf);
    }
    return status;
}

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
