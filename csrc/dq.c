/* dq.c - data-quality combining over groups and integrations. */
#include "ramps.h"
#include "common.h"

/* JWST DQ flag values (stdatamodels jwst dqflags.pixel). */
enum { DO_NOT_USE = 1u, SATURATED = 2u, JUMP_DET = 4u, PERSISTENCE = 32u };

/* Pixels are processed in blocks so that one block of the accumulator stays
 * in cache while every group of an integration streams past it. */
#define DQ_BLOCK 4096

static int check(const void *a, const void *b, const void *c, size_t nints,
                 size_t ngroups, size_t npix) {
    if (nints && npix && (!a || !c)) return RAMPS_EINVAL;
    if (nints && ngroups && npix && !b) return RAMPS_EINVAL;
    return RAMPS_OK;
}

int ramps_combine_dq_or(const uint32_t *pixeldq, const uint8_t *groupdq,
                        uint32_t *out, size_t nints, size_t ngroups,
                        size_t npix, uint8_t mask, int threads) {
    int st = check(pixeldq, groupdq, out, nints, ngroups, npix);
    if (st) return st;
    const size_t nblk = (npix + DQ_BLOCK - 1) / DQ_BLOCK;
    const ptrdiff_t ntask = (ptrdiff_t)(nints * nblk);
    const int nt = ramps_nthreads(threads, nints * ngroups * npix);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (ptrdiff_t t = 0; t < ntask; t++) {
        const size_t i = (size_t)t / nblk, p0 = ((size_t)t % nblk) * DQ_BLOCK;
        const size_t m = npix - p0 < DQ_BLOCK ? npix - p0 : DQ_BLOCK;
        uint8_t acc[DQ_BLOCK];
        memset(acc, 0, m);
        for (size_t g = 0; g < ngroups; g++) {
            const uint8_t *src = groupdq + (i * ngroups + g) * npix + p0;
            for (size_t p = 0; p < m; p++) acc[p] |= src[p];
        }
        uint32_t *dst = out + i * npix + p0;
        const uint32_t *pdq = pixeldq + p0;
        for (size_t p = 0; p < m; p++) dst[p] = pdq[p] | (uint32_t)(acc[p] & mask);
    }
    return RAMPS_OK;
}

int ramps_combine_dq_stcal(const uint32_t *pixeldq, const uint8_t *groupdq,
                           uint32_t *out, size_t nints, size_t ngroups,
                           size_t npix, uint8_t mask, int threads) {
    int st = check(pixeldq, groupdq, out, nints, ngroups, npix);
    if (st) return st;
    const size_t nblk = (npix + DQ_BLOCK - 1) / DQ_BLOCK;
    const ptrdiff_t ntask = (ptrdiff_t)(nints * nblk);
    const int nt = ramps_nthreads(threads, nints * ngroups * npix);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (ptrdiff_t t = 0; t < ntask; t++) {
        const size_t i = (size_t)t / nblk, p0 = ((size_t)t % nblk) * DQ_BLOCK;
        const size_t m = npix - p0 < DQ_BLOCK ? npix - p0 : DQ_BLOCK;
        uint8_t any[DQ_BLOCK], all_sat[DQ_BLOCK], all_bad[DQ_BLOCK];
        memset(any, 0, m);
        memset(all_sat, SATURATED, m);
        memset(all_bad, 1, m);
        for (size_t g = 0; g < ngroups; g++) {
            const uint8_t *src = groupdq + (i * ngroups + g) * npix + p0;
            for (size_t p = 0; p < m; p++) {
                const uint8_t v = src[p] & mask;
                any[p] |= v;
                all_sat[p] &= v;
                all_bad[p] &= (uint8_t)((v & (DO_NOT_USE | SATURATED)) != 0);
            }
        }
        const uint8_t *g0 = groupdq + i * ngroups * npix + p0;
        uint32_t *dst = out + i * npix + p0;
        const uint32_t *pdq = pixeldq + p0;
        for (size_t p = 0; p < m; p++) {
            uint32_t f = pdq[p] | (any[p] & (JUMP_DET | PERSISTENCE | SATURATED));
            const int first_sat = ngroups && (g0[p] & mask & SATURATED);
            if (first_sat || all_bad[p]) f |= DO_NOT_USE;
            if (all_sat[p] & SATURATED) f |= SATURATED | DO_NOT_USE;
            dst[p] = f;
        }
    }
    return RAMPS_OK;
}

int ramps_collapse_dq(const uint32_t *dq, uint32_t *out, size_t nints,
                      size_t npix, uint32_t and_bits, int threads) {
    if (npix && (!out || (nints && !dq))) return RAMPS_EINVAL;
    const size_t nblk = (npix + DQ_BLOCK - 1) / DQ_BLOCK;
    const int nt = ramps_nthreads(threads, nints * npix);
    (void)nt;
#pragma omp parallel for schedule(static) num_threads(nt)
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
