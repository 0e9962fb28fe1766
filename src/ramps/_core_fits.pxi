# FITS checksums and the structure scan (csrc/checksum.c, csrc/fits_scan.c);
# included by _core.pyx.
from collections import namedtuple
from libc.stdlib cimport malloc, free

cdef extern from "Python.h":
    void PyObject_GC_UnTrack(object o)


#: bytes in a FITS block (ramps.h: RAMPS_FITS_BLOCK)
FITS_BLOCK = RAMPS_FITS_BLOCK


def fits_checksum(const uint8_t[::1] buf, uint32_t initial=0, int threads=0) -> int:
    cdef uint32_t result = 0
    cdef size_t n = buf.shape[0]
    if n % 4:
        raise ValueError(f"checksum input must be a multiple of 4 bytes, got {n}")
    with nogil:
        st = ramps_fits_checksum(_u8(buf), n, initial, &result, threads)
    _check(st, "fits_checksum")
    return result


def checksum_encode(uint32_t value, bint complement=True) -> str:
    cdef char out[17]
    ramps_checksum_encode(value, complement, out)
    return out[:16].decode("ascii")


HDURecord = namedtuple("HDURecord", [
    "header_offset", "data_offset", "data_size", "naxis", "bitpix", "extver", "kind",
    "pcount", "gcount", "bscale", "bzero", "blank", "extname", "extname_truncated",
    "zimage", "groups", "nonascii", "duplicates"], module="ramps._core")
HDURecord.__doc__ = """The layout of one HDU as the C scanner read it (ramps_hdu_info).

Offsets and data_size (unpadded) are in bytes; naxis is NAXIS1..n in FITS
order; kind is "PRIMARY", "IMAGE", "BINTABLE" (also A3DTABLE), "TABLE",
"OTHER" or "NONSTANDARD" (SIMPLE = F: data_size 0, the caller's to set); bscale, bzero and blank are None when absent (or in a table);
extver is 1 when absent; extname is "" when absent and holds its first 71
characters when extname_truncated; zimage: a tile-compressed image; groups:
a random-groups primary; nonascii counts bytes outside printable ASCII in
values and comments; duplicates counts repeated structural keywords (the last
card counts, as astropy reads the data)."""

ScanError = namedtuple("ScanError", ["offset", "problem", "message", "partial"],
                       module="ramps._core")
ScanError.__doc__ = """A malformed header: the file offset of the bad card, a FitsProblem,
what is wrong, and the bad HDU's HDURecord as far as it was parsed."""

ScanResult = namedtuple("ScanResult", ["hdus", "next_offset", "error"], module="ramps._core")
ScanResult.__doc__ = """What fits_scan found: a list of HDURecord, the file offset where the
next header starts (a later scan resumes there), and a ScanError or None."""

cdef dict _KIND_NAMES = {
    RAMPS_HDU_PRIMARY: "PRIMARY", RAMPS_HDU_IMAGE: "IMAGE",
    RAMPS_HDU_BINTABLE: "BINTABLE", RAMPS_HDU_TABLE: "TABLE", RAMPS_HDU_OTHER: "OTHER",
    RAMPS_HDU_NONSTANDARD: "NONSTANDARD",
}
cdef object _tuple_new = tuple.__new__


cdef object _record(ramps_hdu_info *h):
    """The HDURecord of one HDU.  It holds numbers, strings, None and a tuple of
    ints, so it can never be part of a reference cycle: it is untracked by the
    garbage collector, as CPython untracks such plain tuples, so that thousands of
    records do not make every collection during a scan longer."""
    cdef int32_t k = h.naxis_count if 0 <= h.naxis_count <= RAMPS_FITS_MAX_AXES else 0
    rec = _tuple_new(HDURecord, (
        h.header_offset, h.data_offset, h.data_size,
        tuple([h.naxis[i] for i in range(k)]), h.bitpix, h.extver,
        _KIND_NAMES.get(h.kind, "OTHER"), h.pcount, h.gcount,
        h.bscale if h.has_bscale else None, h.bzero if h.has_bzero else None,
        h.blank if h.has_blank else None,
        h.extname.decode("latin-1"), bool(h.extname_truncated), bool(h.zimage),
        bool(h.groups), h.nonascii, h.duplicates))
    PyObject_GC_UnTrack(rec)
    return rec


def fits_scan(const uint8_t[::1] buf, uint64_t base_offset=0, bint at_eof=True,
              size_t max_hdus=4096):
    """Index the HDUs whose headers lie in ``buf``, read from file offset ``base_offset``.

    ``at_eof``: ``buf`` ends where the file does (an incomplete header is then
    an error rather than a request for more bytes).  Returns a ScanResult
    ``(hdus, next_offset, error)``: HDURecords, the file offset where the next
    header starts, and None or a ScanError (whose partial record's header
    starts at next_offset).
    """
    cdef size_t n = buf.shape[0]
    cdef size_t cap = min(max_hdus, n // 2880 + 1)
    cdef size_t found = 0
    cdef uint64_t next_offset = base_offset
    cdef ramps_fits_error err
    cdef int st
    cdef ramps_hdu_info *out = <ramps_hdu_info *>malloc((cap + 1) * sizeof(ramps_hdu_info))
    if out == NULL:
        raise MemoryError()
    try:
        with nogil:
            st = ramps_fits_scan(_u8(buf), n, base_offset, at_eof, out, cap, &found,
                                 &next_offset, &err)
        if st != RAMPS_EFORMAT:
            _check(st, "fits_scan")
        hdus = [_record(&out[i]) for i in range(found)]
        error = None
        if st == RAMPS_EFORMAT:
            error = ScanError(err.offset, FitsProblem(err.problem),
                              err.message.decode("latin-1"), _record(&out[found]))
        return ScanResult(hdus, next_offset, error)
    finally:
        free(out)
