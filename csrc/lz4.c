/*
 * lz4.c - LZ4 block decoder, and the chunk layout asdf uses (the encoder:
 * lz4_encode.c).
 *
 * Written from the LZ4 block format description (not from the reference
 * code): a block is a series of sequences, each
 *   token (1 byte: literal length in the high 4 bits, match length - 4 in
 *   the low 4 bits; 15 in either means "more length bytes follow", each
 *   added until one is not 255), literals, a 2-byte little-endian offset
 *   (1..65535, counted back from the current output position) and the
 *   match (copied from earlier output, possibly overlapping itself).
 * The last sequence has literals only.
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

#define LZ4_MINMATCH 4

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
    if (n == 0) {
        *problem = RAMPS_LZ4_TRUNCATED;
        return RAMPS_EFORMAT;
    }
    const uint8_t *ip = src;
    const uint8_t *const iend = src + n;
    uint8_t *op = dst;
    uint8_t *const oend = dst + cap;
    int bad = 0;
    for (;;) {
        if (ip >= iend) { bad = RAMPS_LZ4_TRUNCATED; break; }
        const unsigned token = *ip++;
        size_t lit = token >> 4;
        /* Fast path, the common sequence (noisy detector data is mostly short
         * literal runs and 4..18-byte matches): fixed-size copies instead of
         * length-dependent ones, so the only branches are well predicted.
         * Needs 14 + 2 input bytes after the literals' start (this is then not
         * the last sequence), room for 16 + 24 output bytes, a match offset
         * of at least 8 (each 8-byte copy reads bytes already written). */
        if (lit < 15 && iend - ip >= 18 && oend - op >= 40) {
            memcpy(op, ip, 16); /* lit <= 14: the extra bytes are overwritten later */
            op += lit;
            ip += lit;
            const size_t off = (size_t)ip[0] | (size_t)ip[1] << 8;
            const size_t ml = token & 15;
            if (ml < 15 && off >= 8 && off <= (size_t)(op - dst)) {
                const uint8_t *m = op - off;
                ip += 2;
                memcpy(op, m, 8);
                memcpy(op + 8, m + 8, 8);
                memcpy(op + 16, m + 16, 8);
                op += ml + LZ4_MINMATCH;
                continue;
            }
        } else {
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
        }
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

/* ---- uint16 -> float32 in place ------------------------------------------ */

static inline void convert_one(uint8_t *f, const uint8_t *u, size_t i, int swap) {
    uint16_t v;
    if (swap)
        v = ld_be16(u + 2 * i);
    else
        memcpy(&v, u + 2 * i, 2);
    const float x = (float)v;
    memcpy(f + 4 * i, &x, 4);
}

/* Convert the count uint16 values decoded into the upper half of a chunk's
 * float32 range, u = f + 2 count, to float32 at f[0 .. 4 count), in place,
 * front to back.  The stores of values [i, i + 8) end at byte 4 (i + 8) of f,
 * the loads still to come start at byte 2 count + 2 (i + 8), and
 * 4 (i + 8) <= 2 count + 2 (i + 8) since i + 8 <= count: loading a group of 8
 * (or one value) before storing it never overwrites a value not yet loaded.
 * Written out with SSE2 (the compiler's vectoriser sees the ranges overlap
 * and keeps the scalar loop); the plain loop is the same conversion. */
static void convert_in_place(uint8_t *f, size_t count, int swap) {
    const uint8_t *u = f + 2 * count;
    size_t i = 0;
#if RAMPS_SSE2
    const __m128i zero = _mm_setzero_si128();
    for (; i + 8 <= count; i += 8) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(u + 2 * i));
        if (swap) v = _mm_or_si128(_mm_slli_epi16(v, 8), _mm_srli_epi16(v, 8));
        float *o = (float *)(void *)(f + 4 * i);
        _mm_storeu_ps(o, _mm_cvtepi32_ps(_mm_unpacklo_epi16(v, zero)));
        _mm_storeu_ps(o + 4, _mm_cvtepi32_ps(_mm_unpackhi_epi16(v, zero)));
    }
#endif
    for (; i < count; i++) convert_one(f, u, i, swap);
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

int ramps_lz4_decode_chunks(const uint8_t *src, size_t n, const uint64_t *src_off,
                            const uint32_t *src_len, const uint64_t *raw_off,
                            const uint32_t *raw_len, size_t n_chunks, uint64_t raw_base,
                            uint8_t *out, size_t out_size, int convert, int threads,
                            ramps_lz4_done_fn done, void *ctx, ramps_lz4_error *err) {
    if (!err || (n_chunks && (!src_off || !src_len || !raw_off || !raw_len)) ||
        (!src && n) || (!out && out_size))
        return RAMPS_EINVAL;
    if (convert != RAMPS_LZ4_RAW && convert != RAMPS_LZ4_U16_F32 &&
        convert != RAMPS_LZ4_U16SWAP_F32)
        return RAMPS_EINVAL;
    const unsigned shift = convert == RAMPS_LZ4_RAW ? 0 : 1; /* out bytes = raw << shift */
    for (size_t i = 0; i < n_chunks; i++) {
        if (src_off[i] > n || src_len[i] > n - src_off[i] || raw_off[i] < raw_base)
            return RAMPS_EINVAL;
        const uint64_t at = raw_off[i] - raw_base;
        if (shift && ((at | raw_len[i]) & 1)) return RAMPS_EINVAL; /* split element */
        if (at > (uint64_t)out_size >> shift ||
            raw_len[i] > ((uint64_t)out_size >> shift) - at)
            return RAMPS_EINVAL;
    }
    err->chunk = n_chunks;
    err->problem = 0;
    err->produced = 0;
    int status = RAMPS_OK;
    int nt = n_chunks > 1 ? ramps_nthreads(threads, (size_t)-1) : 1;
    if ((size_t)nt > n_chunks) nt = (int)n_chunks;
    (void)nt;
    uint8_t none = 0; /* no pointer arithmetic on NULL: src and out are NULL only */
    const uint8_t *const sbase = src ? src : &none; /* when every chunk is empty */
    uint8_t *const obase = out ? out : &none;
    /* Each chunk decodes inside its own output range: raw straight there; to
     * float32 into the upper half of its float32 range, then converted in
     * place while its bytes are still in cache (no buffer, no second pass over
     * the output).  Threads take the chunks one at a time, in order, and tell
     * `done` as each is decoded: a caller dropping those pages keeps only the
     * chunks in flight mapped, with no pause of all threads to do it. */
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (ptrdiff_t c = 0; c < (ptrdiff_t)n_chunks; c++) {
        int problem = 0;
        size_t got = 0;
        const size_t want = raw_len[c];
        uint8_t *target = obase + ((raw_off[c] - raw_base) << shift);
        if (ramps_lz4_decompress(sbase + src_off[c], src_len[c], target + (shift ? want : 0),
                                 want, &got, &problem) == RAMPS_OK)
            problem = 0;
        if (done) done(ctx, (size_t)c); /* src's bytes of chunk c are not read again */
        if (problem == 0 && got != want) problem = RAMPS_LZ4_TOO_SHORT;
        if (problem == 0 && shift)
            convert_in_place(target, want / 2, convert == RAMPS_LZ4_U16SWAP_F32);
        if (problem) {
#pragma omp critical(ramps_lz4_err)
            {
                if ((size_t)c < err->chunk) {
                    err->chunk = (size_t)c;
                    err->problem = problem;
                    err->produced = got;
                    status = RAMPS_EFORMAT;
                }
            }
        }
    }
    return status;
}
