/* dq.c - data-quality combining over groups and integrations. */
#include "ramps.h"
#include "common.h"

/* JWST DQ flag values (stdatamodels jwst dqflags.pixel). */
enum { DO_NOT_USE = RAMPS_DQ_DO_NOT_USE, SATURATED = RAMPS_DQ_SATURATED,
       JUMP_DET = RAMPS_DQ_JUMP_DET, PERSISTENCE = RAMPS_DQ_PERSISTENCE };

/* Work is split into tasks of one integration and DQ_BLOCK pixels.  The plain
 * C path accumulates a block in L1 while every group streams past it. */
#ifndef DQ_BLOCK
#define DQ_BLOCK 4096
#endif

static int check(const void *a, const void *b, const void *c, size_t nints,
                 size_t ngroups, size_t npix) {
    /* a shape whose element counts overflow cannot describe real buffers:
     * refused before any access (it would otherwise wrap the offsets) */
    size_t nout, ngdq;
    if (!ramps_mul(nints, npix, &nout) || !ramps_mul(nout, ngroups, &ngdq) ||
        ramps_too_many(nout) || ramps_too_many(ngdq))
        return RAMPS_EINVAL;
    if (nints && npix && (!a || !c)) return RAMPS_EINVAL;
    if (nints && ngroups && npix && !b) return RAMPS_EINVAL;
    return RAMPS_OK;
}

/* One integration: its groups g (ngroups planes of npix), its output plane. */
typedef struct {
    const uint32_t *pixeldq;
    const uint8_t *g;
    uint32_t *dst;
    size_t ngroups, npix;
    uint8_t mask;
} dq_int;

/* ---- plain C, pixels [p0, p0 + m), m <= DQ_BLOCK ----------------------------- */

static void or_block_c(const dq_int *a, size_t p0, size_t m) {
    uint8_t acc[DQ_BLOCK];
    memset(acc, 0, m);
    for (size_t k = 0; k < a->ngroups; k++) {
        const uint8_t *src = a->g + k * a->npix + p0;
        for (size_t p = 0; p < m; p++) acc[p] |= src[p];
    }
    const uint32_t *pdq = a->pixeldq + p0;
    uint32_t *dst = a->dst + p0;
    for (size_t p = 0; p < m; p++) dst[p] = pdq[p] | (uint32_t)(acc[p] & a->mask);
}

static void stcal_block_c(const dq_int *a, size_t p0, size_t m) {
    uint8_t any[DQ_BLOCK], all_sat[DQ_BLOCK], all_bad[DQ_BLOCK];
    const uint8_t mask = a->mask;
    memset(any, 0, m);
    memset(all_sat, SATURATED, m);
    memset(all_bad, 1, m);
    for (size_t k = 0; k < a->ngroups; k++) {
        const uint8_t *src = a->g + k * a->npix + p0;
        for (size_t p = 0; p < m; p++) {
            const uint8_t v = src[p] & mask;
            any[p] |= v;
            all_sat[p] &= v;
            all_bad[p] &= (uint8_t)((v & (DO_NOT_USE | SATURATED)) != 0);
        }
    }
    const uint8_t *g0 = a->g + p0;
    const uint32_t *pdq = a->pixeldq + p0;
    uint32_t *dst = a->dst + p0;
    for (size_t p = 0; p < m; p++) {
        uint32_t f = pdq[p] | (any[p] & (JUMP_DET | PERSISTENCE | SATURATED));
        const int first_sat = a->ngroups && (g0[p] & mask & SATURATED);
        if (first_sat || all_bad[p]) f |= DO_NOT_USE;
        if (all_sat[p] & SATURATED) f |= SATURATED | DO_NOT_USE;
        dst[p] = f;
    }
}

#if RAMPS_SSE2
/* ---- SSE2: 16 pixels at a time, accumulators in registers ------------------
 * Every group is read once as a stream and nothing goes through an L1 block,
 * so the loops are bound by memory (groupdq and pixeldq in, out) rather than
 * by loads and stores of accumulators.  They return the pixels done (a
 * multiple of 16); the plain C path does the rest. */

/* dst[0..16) = pdq[0..16) | (uint32) f8[0..16) */
static inline void widen_or_store(uint32_t *dst, const uint32_t *pdq, __m128i f8) {
    const __m128i z = _mm_setzero_si128();
    const __m128i lo = _mm_unpacklo_epi8(f8, z), hi = _mm_unpackhi_epi8(f8, z);
    const __m128i w[4] = {_mm_unpacklo_epi16(lo, z), _mm_unpackhi_epi16(lo, z),
                          _mm_unpacklo_epi16(hi, z), _mm_unpackhi_epi16(hi, z)};
    for (int k = 0; k < 4; k++) {
        const __m128i p = _mm_loadu_si128((const __m128i *)(pdq + 4 * k));
        _mm_storeu_si128((__m128i *)(dst + 4 * k), _mm_or_si128(w[k], p));
    }
}

static size_t or_block_sse2(const dq_int *a, size_t p0, size_t m) {
    const __m128i vmask = _mm_set1_epi8((char)a->mask);
    size_t p = 0;
    for (; p + 16 <= m; p += 16) {
        const uint8_t *src = a->g + p0 + p;
        __m128i acc = _mm_setzero_si128();
        for (size_t k = 0; k < a->ngroups; k++, src += a->npix)
            acc = _mm_or_si128(acc, _mm_loadu_si128((const __m128i *)src));
        widen_or_store(a->dst + p0 + p, a->pixeldq + p0 + p, _mm_and_si128(acc, vmask));
    }
    return p;
}

static size_t stcal_block_sse2(const dq_int *a, size_t p0, size_t m) {
    if (a->ngroups == 0) return 0; /* "every group" of none: the plain C path */
    const __m128i vmask = _mm_set1_epi8((char)a->mask), z = _mm_setzero_si128();
    const __m128i bad_bits = _mm_set1_epi8(DO_NOT_USE | SATURATED);
    const __m128i sat = _mm_set1_epi8(SATURATED), dnu = _mm_set1_epi8(DO_NOT_USE);
    const __m128i keep = _mm_set1_epi8(JUMP_DET | PERSISTENCE | SATURATED);
    const __m128i both = _mm_set1_epi8(SATURATED | DO_NOT_USE);
    size_t p = 0;
    for (; p + 16 <= m; p += 16) {
        const uint8_t *src = a->g + p0 + p;
        const __m128i v0 = _mm_and_si128(_mm_loadu_si128((const __m128i *)src), vmask);
        __m128i any = v0, all = v0;
        /* good: 0xff where some group so far has neither DO_NOT_USE nor SATURATED */
        __m128i good = _mm_cmpeq_epi8(_mm_and_si128(v0, bad_bits), z);
        src += a->npix;
        for (size_t k = 1; k < a->ngroups; k++, src += a->npix) {
            const __m128i v =
                _mm_and_si128(_mm_loadu_si128((const __m128i *)src), vmask);
            any = _mm_or_si128(any, v);
            all = _mm_and_si128(all, v);
            good = _mm_or_si128(good, _mm_cmpeq_epi8(_mm_and_si128(v, bad_bits), z));
        }
        /* DO_NOT_USE unless (some group good and group 0 not saturated) */
        const __m128i g0_ok = _mm_cmpeq_epi8(_mm_and_si128(v0, sat), z);
        const __m128i no_dnu = _mm_and_si128(good, g0_ok);
        const __m128i all_sat = _mm_cmpeq_epi8(_mm_and_si128(all, sat), sat);
        __m128i f = _mm_and_si128(any, keep);
        f = _mm_or_si128(f, _mm_andnot_si128(no_dnu, dnu));
        f = _mm_or_si128(f, _mm_and_si128(all_sat, both));
        widen_or_store(a->dst + p0 + p, a->pixeldq + p0 + p, f);
    }
    return p;
}
#endif

static void or_task(const dq_int *a, size_t p0, size_t m) {
    size_t done = 0;
#if RAMPS_SSE2
    done = or_block_sse2(a, p0, m);
#endif
    if (done < m) or_block_c(a, p0 + done, m - done);
}

static void stcal_task(const dq_int *a, size_t p0, size_t m) {
    size_t done = 0;
#if RAMPS_SSE2
    done = stcal_block_sse2(a, p0, m);
#endif
    if (done < m) stcal_block_c(a, p0 + done, m - done);
}

static int combine(const uint32_t *pixeldq, const uint8_t *groupdq, uint32_t *out,
                   size_t nints, size_t ngroups, size_t npix, uint8_t mask, int threads,
                   void (*task)(const dq_int *, size_t, size_t)) {
    int st = check(pixeldq, groupdq, out, nints, ngroups, npix);
    if (st) return st;
    const size_t nblk = (npix + DQ_BLOCK - 1) / DQ_BLOCK;
    const ptrdiff_t ntask = (ptrdiff_t)(nints * nblk);
    const int nt = ramps_nthreads(threads, nints * ngroups * npix);
    (void)nt;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (ptrdiff_t t = 0; t < ntask; t++) {
        const size_t i = (size_t)t / nblk, p0 = ((size_t)t % nblk) * DQ_BLOCK;
        const size_t m = npix - p0 < DQ_BLOCK ? npix - p0 : DQ_BLOCK;
        const dq_int a = {pixeldq, groupdq + i * ngroups * npix, out + i * npix,
                          ngroups, npix, mask};
        task(&a, p0, m);
    }
    return RAMPS_OK;
}

int ramps_combine_dq_or(const uint32_t *pixeldq, const uint8_t *groupdq,
                        uint32_t *out, size_t nints, size_t ngroups,
                        size_t npix, uint8_t mask, int threads) {
    return combine(pixeldq, groupdq, out, nints, ngroups, npix, mask, threads, or_task);
}

int ramps_combine_dq_stcal(const uint32_t *pixeldq, const uint8_t *groupdq,
                           uint32_t *out, size_t nints, size_t ngroups,
                           size_t npix, uint8_t mask, int threads) {
    return combine(pixeldq, groupdq, out, nints, ngroups, npix, mask, threads,
                   stcal_task);
}

int ramps_collapse_dq(const uint32_t *dq, uint32_t *out, size_t nints,
                      size_t npix, uint32_t and_bits, int threads) {
    size_t ndq;
    if (!ramps_mul(nints, npix, &ndq) || ramps_too_many(ndq))
        return RAMPS_EINVAL; /* as in check(): no buffer holds this shape */
    if (npix && (!out || (nints && !dq))) return RAMPS_EINVAL;
    const size_t nblk = (npix + DQ_BLOCK - 1) / DQ_BLOCK;
    const int nt = ramps_nthreads(threads, nints * npix);
    (void)nt;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (ptrdiff_t b = 0; b < (ptrdiff_t)nblk; b++) {
        const size_t p0 = (size_t)b * DQ_BLOCK;
        const size_t m = npix - p0 < DQ_BLOCK ? npix - p0 : DQ_BLOCK;
        uint32_t anyv[DQ_BLOCK], allv[DQ_BLOCK];
        for (size_t p = 0; p < m; p++) {
            anyv[p] = 0;
            allv[p] = 0xFFFFFFFFu;
        }
        for (size_t i = 0; i < nints; i++) {
            const uint32_t *src = dq + i * npix + p0;
            for (size_t p = 0; p < m; p++) {
                anyv[p] |= src[p];
                allv[p] &= src[p];
            }
        }
        for (size_t p = 0; p < m; p++)
            out[p0 + p] = (anyv[p] & ~and_bits) | (allv[p] & anyv[p] & and_bits);
    }
    return RAMPS_OK;
}
