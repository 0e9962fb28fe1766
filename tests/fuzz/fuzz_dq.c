/* libFuzzer harness for ramps_combine_dq_or / _stcal and ramps_collapse_dq
 * (csrc/dq.c) with odd shapes.
 *
 * Input: a shape mode byte (mode % 4 == 3: nints, ngroups, npix as three raw
 * 8-byte values, which may overflow size_t when multiplied; otherwise small:
 * nints byte % 6, ngroups byte % 9, npix 2 bytes % 700), mask (byte),
 * and_bits (4 bytes), threads, then groupdq (nints*ngroups*npix bytes) and
 * pixeldq (npix little-endian uint32), zero-filled where the input ends.
 * Checks: a shape whose element counts overflow size_t is refused with
 * RAMPS_EINVAL (no buffer can hold it); otherwise the outputs equal a scalar
 * reference of the rules in ramps.h / kernels.combine_dq, bit for bit, and
 * the chunked run equals one thread's.  The fuzz build sets DQ_BLOCK to 40,
 * so blocks end at odd places and the SSE2 loops leave tails. */
#include "fuzz_common.h"

enum { DNU = 1u, SAT = 2u, JUMP = 4u, PERSIST = 32u };
#define MAX_ELEMS ((size_t)1 << 16) /* larger shapes only slow the run */

static void ref_combine(const uint32_t *pdq, const uint8_t *g, uint32_t *out, size_t nints,
                        size_t ngroups, size_t npix, uint8_t mask, int stcal) {
    if (!npix) return; /* nints may be huge then */
    for (size_t i = 0; i < nints; i++)
        for (size_t p = 0; p < npix; p++) {
            uint32_t any = 0, all = 0xff, all_bad = 1;
            for (size_t k = 0; k < ngroups; k++) {
                const uint8_t v = g[(i * ngroups + k) * npix + p] & mask;
                any |= v;
                all &= v;
                all_bad &= (v & (DNU | SAT)) != 0;
            }
            uint32_t f;
            if (!stcal) {
                f = pdq[p] | any;
            } else {
                f = pdq[p] | (any & (JUMP | PERSIST | SAT));
                const int first_sat = ngroups && (g[i * ngroups * npix + p] & mask & SAT);
                if (first_sat || all_bad) f |= DNU;
                if (all & SAT) f |= SAT | DNU;
            }
            out[i * npix + p] = f;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fdp f = {data, size};
    const uint8_t mode = fdp_u8(&f);
    size_t nints, ngroups, npix;
    if (mode % 4 == 3) {
        nints = (size_t)fdp_u64(&f), ngroups = (size_t)fdp_u64(&f), npix = (size_t)fdp_u64(&f);
    } else {
        nints = fdp_u8(&f) % 6, ngroups = fdp_u8(&f) % 9, npix = fdp_u16(&f) % 700;
    }
    const uint8_t mask = fdp_u8(&f);
    const uint32_t and_bits = fdp_u32(&f);
    const int threads = fdp_threads(&f);

    size_t nout, ngdq;
    const int overflow = __builtin_mul_overflow(nints, npix, &nout) ||
                         __builtin_mul_overflow(nout, ngroups, &ngdq);
    if (overflow) {
        /* no caller can hold such buffers: refused before any access */
        uint32_t pdq[4] = {0}, out[4];
        uint8_t g[4] = {0};
        FUZZ_CHECK(ramps_combine_dq_or(pdq, g, out, nints, ngroups, npix, mask, threads) ==
                   RAMPS_EINVAL);
        FUZZ_CHECK(ramps_combine_dq_stcal(pdq, g, out, nints, ngroups, npix, mask,
                                          threads) == RAMPS_EINVAL);
        if (nout / (npix ? npix : 1) != nints || (npix && nout / npix != nints))
            FUZZ_CHECK(ramps_collapse_dq(pdq, out, nints, npix, and_bits, threads) ==
                       RAMPS_EINVAL);
        return 0;
    }
    if (ngdq > MAX_ELEMS || nout > MAX_ELEMS || npix > MAX_ELEMS) return 0;

    uint8_t *g = fuzz_alloc(ngdq);
    uint32_t *pdq = fuzz_alloc(npix * 4), *out = fuzz_alloc(nout * 4);
    uint32_t *out1 = fuzz_alloc(nout * 4), *ref = fuzz_alloc(nout * 4);
    uint32_t *col = fuzz_alloc(npix * 4), *col1 = fuzz_alloc(npix * 4);
    for (size_t i = 0; i < ngdq; i++) g[i] = fdp_u8(&f);
    for (size_t p = 0; p < npix; p++) pdq[p] = fdp_u32(&f);

    for (int stcal = 0; stcal < 2; stcal++) {
        int (*fn)(const uint32_t *, const uint8_t *, uint32_t *, size_t, size_t, size_t,
                  uint8_t, int) = stcal ? ramps_combine_dq_stcal : ramps_combine_dq_or;
        FUZZ_CHECK(fn(pdq, g, out, nints, ngroups, npix, mask, threads) == RAMPS_OK);
        ref_combine(pdq, g, ref, nints, ngroups, npix, mask, stcal);
        FUZZ_CHECK(!nout || !memcmp(out, ref, nout * 4));
        FUZZ_CHECK(fn(pdq, g, out1, nints, ngroups, npix, mask, 1) == RAMPS_OK);
        FUZZ_CHECK(!nout || !memcmp(out, out1, nout * 4));
    }
    /* collapse the stcal result over integrations */
    FUZZ_CHECK(ramps_collapse_dq(out, col, nints, npix, and_bits, threads) == RAMPS_OK);
    FUZZ_CHECK(ramps_collapse_dq(out, col1, nints, npix, and_bits, 1) == RAMPS_OK);
    for (size_t p = 0; p < npix; p++) {
        uint32_t any = 0, all = 0xffffffffu;
        for (size_t i = 0; i < nints; i++) any |= out[i * npix + p], all &= out[i * npix + p];
        FUZZ_CHECK(col[p] == ((any & ~and_bits) | (all & any & and_bits)));
        FUZZ_CHECK(col1[p] == col[p]);
    }
    free(g), free(pdq), free(out), free(out1), free(ref), free(col), free(col1);
    return 0;
}
