/* libFuzzer harness for ramps_fits_scan (csrc/fits_scan.c); see README.md here.
 *
 * Each input is scanned three ways: as a file from offset 0 (primary header),
 * as an extension at a block boundary with room for only 2 HDUs, and by the
 * chunked driver of ramps.fitsindex.scan (windows starting at each
 * next_offset, doubled when a header does not fit).  Invariants that hold
 * for any input abort the run when broken; ASan/UBSan catch the rest. */
#include "ramps.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OUT 16

static void check(int st, const ramps_hdu_info *out, size_t found, size_t max_hdus,
                  uint64_t base, size_t n, int at_eof, uint64_t next,
                  const ramps_fits_error *err) {
    if (st != RAMPS_OK && st != RAMPS_EFORMAT) abort();
    /* at the end of the file every call makes progress or fails */
    if (at_eof && n && max_hdus && st == RAMPS_OK && !found) abort();
    if (found > max_hdus || next < base) abort();
    uint64_t prev_end = base;
    for (size_t i = 0; i < found; i++) {
        const ramps_hdu_info *h = out + i;
        if (h->header_offset != prev_end || h->header_offset >= base + n) abort();
        if (h->data_offset < h->header_offset + 2880 || (h->data_offset - base) % 2880) abort();
        if (h->naxis_count < 0 || h->naxis_count > RAMPS_FITS_MAX_AXES) abort();
        if (h->kind < 0 || h->kind > 4 || memchr(h->extname, 0, sizeof h->extname) == NULL)
            abort();
        if (h->data_size > (uint64_t)INT64_MAX) abort();
        prev_end = h->data_offset + (h->data_size + 2879) / 2880 * 2880;
    }
    if (next != prev_end) abort(); /* resume point: right after the last HDU indexed */
    if (st == RAMPS_EFORMAT && (memchr(err->message, 0, sizeof err->message) == NULL ||
                                err->problem < 1 || err->problem > 3 || !err->message[0]))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ramps_hdu_info out[MAX_OUT + 1];
    ramps_fits_error err;
    size_t found;
    uint64_t next;
    int st;

    st = ramps_fits_scan(data, size, 0, 1, out, MAX_OUT, &found, &next, &err);
    check(st, out, found, MAX_OUT, 0, size, 1, next, &err);

    st = ramps_fits_scan(data, size, 2880, 0, out, 2, &found, &next, &err);
    check(st, out, found, 2, 2880, size, 0, next, &err);

    /* the chunked driver, starting with 160-byte windows */
    uint64_t offset = 0;
    size_t want = 160;
    for (int iter = 0; offset < size && iter < 100000; iter++) {
        const size_t n = size - offset < want ? (size_t)(size - offset) : want;
        const int at_eof = offset + n == size;
        st = ramps_fits_scan(data + offset, n, offset, at_eof, out, 3, &found, &next, &err);
        check(st, out, found, 3, offset, n, at_eof, next, &err);
        if (st != RAMPS_OK) break;
        if (found) {
            if (next <= offset) abort(); /* no progress: the driver would spin */
            offset = next;
            want = 160;
        } else if (!at_eof) {
            want *= 2;
        } else {
            abort(); /* checked above: cannot happen */
        }
    }
    return 0;
}
