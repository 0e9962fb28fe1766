# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The only compiled module of ramps: checks lengths, releases the GIL, calls C.

Everything here takes flat, C-contiguous typed buffers.  Dtype dispatch,
shapes and friendly error messages live in :mod:`ramps.kernels`; this layer
only guarantees that C is never handed a length its buffers cannot hold.
"""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t


cdef extern from "ramps.h" nogil:
    const char *ramps_strerror(int status)
    int ramps_max_threads(int threads)
    int ramps_have_openmp()
    int ramps_decode_u16_f32(const uint8_t *inp, float *out, size_t n, int threads)
    int ramps_decode_f32(const uint8_t *inp, float *out, size_t n, int bitpix,
                         double bscale, double bzero, int threads)
    int ramps_decode_f64(const uint8_t *inp, double *out, size_t n, int bitpix,
                         double bscale, double bzero, int threads)
    int ramps_swap_xor(const uint8_t *inp, uint8_t *out, size_t n, int width,
                       uint64_t xor_mask, int threads)
    int ramps_encode_f32(const float *inp, uint8_t *out, size_t n, int bitpix,
                         double bscale, double bzero, int threads)
    int ramps_encode_f64(const double *inp, uint8_t *out, size_t n, int bitpix,
                         double bscale, double bzero, int threads)
    int ramps_transcode_u16_f32be(const uint8_t *inp, uint8_t *out, size_t n, int threads)
    int ramps_combine_dq_or(const uint32_t *pixeldq, const uint8_t *groupdq, uint32_t *out,
                            size_t nints, size_t ngroups, size_t npix, uint8_t mask,
                            int threads)
    int ramps_combine_dq_stcal(const uint32_t *pixeldq, const uint8_t *groupdq,
                               uint32_t *out, size_t nints, size_t ngroups, size_t npix,
                               uint8_t mask, int threads)
    int ramps_collapse_dq(const uint32_t *dq, uint32_t *out, size_t nints, size_t npix,
                          uint32_t and_bits, int threads)
    int ramps_err_f32(const float *a, const float *b, const float *c, float *out,
                      size_t n, int threads)
    int ramps_err_f32be(const uint8_t *a, const uint8_t *b, const uint8_t *c, float *out,
                        size_t n, int threads)
    int ramps_err_f16(const uint16_t *a, const uint16_t *b, const uint16_t *c,
                      float *out_f32, uint16_t *out_f16, size_t n, int threads)
    float ramps_half_to_float(uint16_t h)
    uint16_t ramps_float_to_half(float f)
    int ramps_fits_checksum(const uint8_t *buf, size_t n, uint32_t initial,
                            uint32_t *result, int threads)
    void ramps_checksum_encode(uint32_t value, int complement, char out[17])


class KernelError(RuntimeError):
    """A C kernel returned an error code that the Python checks did not foresee."""


cdef inline int _check(int status) except -1:
    if status == 0:
        return 0
    msg = ramps_strerror(status).decode()
    if status == -3:
        raise OverflowError(msg)
    if status == -1 or status == -2:
        raise ValueError(msg)
    raise KernelError(msg)


cdef inline void _need(size_t have, size_t want, str what) except *:
    if have != want:
        raise ValueError(f"{what}: buffer holds {have} elements, {want} expected")


# Pointers to element 0, or NULL for an empty buffer (C accepts NULL when n == 0).
cdef inline const uint8_t *_u8(const uint8_t[::1] b) noexcept nogil:
    return &b[0] if b.shape[0] else NULL
cdef inline uint8_t *_wu8(uint8_t[::1] b) noexcept nogil:
    return &b[0] if b.shape[0] else NULL
cdef inline const uint16_t *_u16(const uint16_t[::1] b) noexcept nogil:
    return &b[0] if b.shape[0] else NULL
cdef inline const uint32_t *_u32(const uint32_t[::1] b) noexcept nogil:
    return &b[0] if b.shape[0] else NULL
cdef inline uint32_t *_wu32(uint32_t[::1] b) noexcept nogil:
    return &b[0] if b.shape[0] else NULL
cdef inline const float *_f32(const float[::1] b) noexcept nogil:
    return &b[0] if b.shape[0] else NULL
cdef inline float *_wf32(float[::1] b) noexcept nogil:
    return &b[0] if b.shape[0] else NULL


def have_openmp() -> bool:
    """True when the C core was compiled with OpenMP."""
    return bool(ramps_have_openmp())


def max_threads(int threads=0) -> int:
    """Threads a kernel uses for ``threads`` (0: all cores)."""
    return ramps_max_threads(threads)


def decode_u16_f32(const uint8_t[::1] src, float[::1] dst, int threads=0):
    cdef size_t n = dst.shape[0]
    _need(src.shape[0], 2 * n, "decode input bytes")
    with nogil:
        st = ramps_decode_u16_f32(_u8(src), _wf32(dst), n, threads)
    _check(st)


def decode_f32(const uint8_t[::1] src, float[::1] dst, int bitpix, double bscale,
               double bzero, int threads=0):
    cdef size_t n = dst.shape[0]
    _need(src.shape[0], n * (abs(bitpix) // 8), "decode input bytes")
    with nogil:
        st = ramps_decode_f32(_u8(src), _wf32(dst), n, bitpix, bscale, bzero, threads)
    _check(st)


def decode_f64(const uint8_t[::1] src, double[::1] dst, int bitpix, double bscale,
               double bzero, int threads=0):
    cdef size_t n = dst.shape[0]
    cdef double *d = &dst[0] if n else NULL
    _need(src.shape[0], n * (abs(bitpix) // 8), "decode input bytes")
    with nogil:
        st = ramps_decode_f64(_u8(src), d, n, bitpix, bscale, bzero, threads)
    _check(st)


def swap_xor(const uint8_t[::1] src, uint8_t[::1] dst, int width, uint64_t mask,
             int threads=0):
    if width not in (1, 2, 4, 8):
        raise ValueError(f"element width must be 1, 2, 4 or 8 bytes, not {width}")
    cdef size_t n = dst.shape[0] // width
    _need(dst.shape[0], n * width, "output bytes (whole elements)")
    _need(src.shape[0], dst.shape[0], "input bytes")
    with nogil:
        st = ramps_swap_xor(_u8(src), _wu8(dst), n, width, mask, threads)
    _check(st)


def encode_f32(const float[::1] src, uint8_t[::1] dst, int bitpix, double bscale,
               double bzero, int threads=0):
    cdef size_t n = src.shape[0]
    _need(dst.shape[0], n * (abs(bitpix) // 8), "encode output bytes")
    with nogil:
        st = ramps_encode_f32(_f32(src), _wu8(dst), n, bitpix, bscale, bzero, threads)
    _check(st)


def encode_f64(const double[::1] src, uint8_t[::1] dst, int bitpix, double bscale,
               double bzero, int threads=0):
    cdef size_t n = src.shape[0]
    cdef const double *s = &src[0] if n else NULL
    _need(dst.shape[0], n * (abs(bitpix) // 8), "encode output bytes")
    with nogil:
        st = ramps_encode_f64(s, _wu8(dst), n, bitpix, bscale, bzero, threads)
    _check(st)


def transcode_u16_f32be(const uint8_t[::1] src, uint8_t[::1] dst, int threads=0):
    cdef size_t n = src.shape[0] // 2
    _need(src.shape[0], 2 * n, "input bytes (whole int16 elements)")
    _need(dst.shape[0], 4 * n, "output bytes")
    with nogil:
        st = ramps_transcode_u16_f32be(_u8(src), _wu8(dst), n, threads)
    _check(st)


def combine_dq(const uint32_t[::1] pixeldq, const uint8_t[::1] groupdq,
               uint32_t[::1] out, size_t nints, size_t ngroups, uint8_t mask,
               bint stcal, int threads=0):
    cdef size_t npix = pixeldq.shape[0]
    _need(groupdq.shape[0], nints * ngroups * npix, "groupdq")
    _need(out.shape[0], nints * npix, "out")
    with nogil:
        if stcal:
            st = ramps_combine_dq_stcal(_u32(pixeldq), _u8(groupdq), _wu32(out), nints,
                                        ngroups, npix, mask, threads)
        else:
            st = ramps_combine_dq_or(_u32(pixeldq), _u8(groupdq), _wu32(out), nints,
                                     ngroups, npix, mask, threads)
    _check(st)


def collapse_dq(const uint32_t[::1] dq, uint32_t[::1] out, size_t nints,
                uint32_t and_bits, int threads=0):
    cdef size_t npix = out.shape[0]
    _need(dq.shape[0], nints * npix, "dq")
    with nogil:
        st = ramps_collapse_dq(_u32(dq), _wu32(out), nints, npix, and_bits, threads)
    _check(st)


def err_f32(const float[::1] a, const float[::1] b, c, float[::1] out, int threads=0):
    cdef size_t n = out.shape[0]
    cdef const float[::1] cv
    cdef const float *cp = NULL
    _need(a.shape[0], n, "variance 1")
    _need(b.shape[0], n, "variance 2")
    if c is not None:
        cv = c
        _need(cv.shape[0], n, "variance 3")
        cp = _f32(cv)
    with nogil:
        st = ramps_err_f32(_f32(a), _f32(b), cp, _wf32(out), n, threads)
    _check(st)


def err_f32be(const uint8_t[::1] a, const uint8_t[::1] b, c, float[::1] out,
              int threads=0):
    """Big-endian float32 variances given as their bytes (4 per value, any alignment)."""
    cdef size_t n = out.shape[0]
    cdef const uint8_t[::1] cv
    cdef const uint8_t *cp = NULL
    _need(a.shape[0], 4 * n, "variance 1 bytes")
    _need(b.shape[0], 4 * n, "variance 2 bytes")
    if c is not None:
        cv = c
        _need(cv.shape[0], 4 * n, "variance 3 bytes")
        cp = _u8(cv)
    with nogil:
        st = ramps_err_f32be(_u8(a), _u8(b), cp, _wf32(out), n, threads)
    _check(st)


def err_f16(const uint16_t[::1] a, const uint16_t[::1] b, c, out, bint out_is_f16,
            int threads=0):
    cdef size_t n = a.shape[0]
    cdef const uint16_t[::1] cv
    cdef const uint16_t *cp = NULL
    cdef float[::1] o32
    cdef uint16_t[::1] o16
    cdef float *p32 = NULL
    cdef uint16_t *p16 = NULL
    _need(b.shape[0], n, "variance 2")
    if c is not None:
        cv = c
        _need(cv.shape[0], n, "variance 3")
        cp = _u16(cv)
    if out_is_f16:
        o16 = out
        _need(o16.shape[0], n, "out")
        p16 = &o16[0] if n else NULL
    else:
        o32 = out
        _need(o32.shape[0], n, "out")
        p32 = _wf32(o32)
    if n == 0:
        return
    with nogil:
        st = ramps_err_f16(_u16(a), _u16(b), cp, p32, p16, n, threads)
    _check(st)


def half_to_float(uint16_t h) -> float:
    return ramps_half_to_float(h)


def float_to_half(float f) -> int:
    return ramps_float_to_half(f)


def fits_checksum(const uint8_t[::1] buf, uint32_t initial=0, int threads=0) -> int:
    cdef uint32_t result = 0
    cdef size_t n = buf.shape[0]
    if n % 4:
        raise ValueError(f"checksum input must be a multiple of 4 bytes, got {n}")
    with nogil:
        st = ramps_fits_checksum(_u8(buf), n, initial, &result, threads)
    _check(st)
    return result


def checksum_encode(uint32_t value, bint complement=True) -> str:
    cdef char out[17]
    ramps_checksum_encode(value, complement, out)
    return out[:16].decode("ascii")


# ---- FITS structure index (fits_scan.c) -------------------------------------

from libc.stdint cimport int32_t, int64_t
from libc.stdlib cimport malloc, free

cdef extern from "ramps.h" nogil:
    ctypedef struct ramps_hdu_info:
        uint64_t header_offset, data_offset, data_size
        uint64_t naxis[9]
        int64_t pcount, gcount, blank
        double bscale, bzero
        int32_t naxis_count, bitpix, extver, kind
        int32_t has_bscale, has_bzero, has_blank, zimage, groups
        int32_t extname_truncated, nonascii
        char extname[72]
    ctypedef struct ramps_fits_error:
        uint64_t offset
        int32_t problem
        char message[160]
    int ramps_fits_scan(const uint8_t *buf, size_t n, uint64_t base_offset, int at_eof,
                        ramps_hdu_info *out, size_t max_hdus, size_t *n_found,
                        uint64_t *next_offset, ramps_fits_error *err)

#: The fields of each HDU tuple that fits_scan returns, in order.  naxis is in
#: FITS order; bscale, bzero and blank are None when absent.
FITS_SCAN_FIELDS = ("header_offset", "data_offset", "data_size", "naxis", "bitpix",
                    "extver", "kind", "pcount", "gcount", "bscale", "bzero", "blank",
                    "extname", "extname_truncated", "zimage", "groups", "nonascii")


cdef tuple _hdu_tuple(ramps_hdu_info *h):
    cdef int32_t k = h.naxis_count if 0 <= h.naxis_count <= 9 else 0
    return (h.header_offset, h.data_offset, h.data_size,
            tuple([h.naxis[i] for i in range(k)]), h.bitpix, h.extver, h.kind,
            h.pcount, h.gcount,
            h.bscale if h.has_bscale else None, h.bzero if h.has_bzero else None,
            h.blank if h.has_blank else None,
            h.extname.decode("latin-1"), bool(h.extname_truncated), bool(h.zimage),
            bool(h.groups), h.nonascii)


#: fits_scan error kinds (enum ramps_fits_problem).
FITS_MALFORMED, FITS_NOT_HDU, FITS_TRUNCATED = 1, 2, 3


def fits_scan(const uint8_t[::1] buf, uint64_t base_offset=0, bint at_eof=True,
              size_t max_hdus=4096):
    """Index the HDUs whose headers lie in ``buf``, read from file offset ``base_offset``.

    ``at_eof``: ``buf`` ends where the file does (an incomplete header is then
    an error rather than a request for more bytes).  Returns ``(hdus,
    next_offset, error)``: a list of tuples (FITS_SCAN_FIELDS), the file offset
    where the next header starts (scanning resumes there), and None, or for a
    bad header ``(offset, problem, message, partial)``: the file offset of the
    bad card, FITS_MALFORMED / FITS_NOT_HDU / FITS_TRUNCATED, what is wrong,
    and the bad HDU's tuple as far as it was parsed (its header starts at
    next_offset).
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
        if st != 0 and st != -5:
            _check(st)
        hdus = [_hdu_tuple(&out[i]) for i in range(found)]
        error = None
        if st == -5:
            error = (err.offset, err.problem, err.message.decode("latin-1"),
                     _hdu_tuple(&out[found]))
        return hdus, next_offset, error
    finally:
        free(out)


# ==== LZ4 chunks of asdf blocks (lz4.c) ======================================
# Self-contained section (the Roman/ASDF work): declarations, errors and
# wrappers of the LZ4 codec only.  Python callers: ramps.asdf.codecs.

cdef extern from "ramps.h" nogil:
    ctypedef struct ramps_lz4_error:
        size_t chunk
        int32_t problem
        uint64_t produced
    size_t ramps_lz4_bound(size_t n)
    int ramps_lz4_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                             size_t *written, int *problem)
    int ramps_lz4_compress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                           size_t *written)
    int ramps_lz4_scan_chunks(const uint8_t *src, size_t n, uint64_t *src_off,
                              uint32_t *src_len, uint64_t *raw_off, uint32_t *raw_len,
                              size_t max_chunks, size_t *n_chunks, uint64_t *raw_total,
                              ramps_lz4_error *err)
    int ramps_lz4_decode_chunks(const uint8_t *src, size_t n, const uint64_t *src_off,
                                const uint32_t *src_len, const uint64_t *raw_off,
                                const uint32_t *raw_len, size_t n_chunks, uint64_t raw_base,
                                uint8_t *out, size_t out_size, int convert, int threads,
                                ramps_lz4_error *err)
    int ramps_lz4_compress_chunks(const uint8_t *src, size_t n, size_t chunk_size,
                                  uint8_t *dst, size_t dst_stride, uint32_t *dst_len,
                                  int threads)

#: enum ramps_lz4_problem, and the text the wrappers give for each.
LZ4_TRUNCATED, LZ4_BAD_OFFSET, LZ4_TOO_LONG, LZ4_TOO_SHORT, LZ4_BAD_CHUNK = 1, 2, 3, 4, 5
LZ4_PROBLEMS = {
    1: "truncated (the data ends inside a sequence or a chunk header)",
    2: "a match offset points before the start of the output",
    3: "decodes to more bytes than its declared size",
    4: "decodes to fewer bytes than its declared size",
    5: "a chunk size field is impossible (< 4 bytes)",
}
#: enum ramps_lz4_convert
LZ4_RAW, LZ4_U16_F32, LZ4_U16SWAP_F32 = 0, 1, 2
LZ4_CHUNK_HEADER = 8


class Lz4Error(ValueError):
    """Malformed LZ4 data: ``problem`` (LZ4_* code), ``chunk`` (index or None),
    ``produced`` (bytes decoded before the failure; for a chunk header, its offset)."""

    def __init__(self, problem, chunk=None, produced=0):
        self.problem, self.chunk, self.produced = int(problem), chunk, int(produced)
        where = "" if chunk is None else f"chunk {chunk}: "
        super().__init__(where + LZ4_PROBLEMS.get(self.problem, f"problem {problem}"))


def lz4_bound(size_t n) -> int:
    """Worst-case size of one compressed LZ4 block of ``n`` bytes."""
    return ramps_lz4_bound(n)


def lz4_decompress(const uint8_t[::1] src, uint8_t[::1] dst) -> int:
    """Decode one raw LZ4 block into ``dst``; returns the bytes written
    (``Lz4Error`` for malformed data, TOO_LONG when ``dst`` is too small)."""
    cdef size_t written = 0
    cdef int problem = 0, st
    with nogil:
        st = ramps_lz4_decompress(_u8(src), src.shape[0], _wu8(dst), dst.shape[0],
                                  &written, &problem)
    if st == -5:
        raise Lz4Error(problem, None, written)
    _check(st)
    return written


def lz4_compress(const uint8_t[::1] src, uint8_t[::1] dst) -> int:
    """Encode ``src`` as one raw LZ4 block into ``dst`` (at least lz4_bound(len)
    bytes); returns the compressed size."""
    cdef size_t written = 0
    cdef int st
    if <size_t>dst.shape[0] < ramps_lz4_bound(src.shape[0]):
        raise ValueError(f"lz4 output buffer holds {dst.shape[0]} bytes, "
                         f"{ramps_lz4_bound(src.shape[0])} needed")
    with nogil:
        st = ramps_lz4_compress(_u8(src), src.shape[0], _wu8(dst), dst.shape[0], &written)
    _check(st)
    return written


def lz4_scan_chunks(const uint8_t[::1] src):
    """Index asdf lz4 chunks: ``(src_off, src_len, raw_off, raw_len)`` numpy arrays
    (uint64, uint32, uint64, uint32); ``Lz4Error`` (chunk, offset) for a bad header."""
    import numpy as np
    cdef size_t count = 0
    cdef uint64_t total = 0
    cdef ramps_lz4_error err
    cdef int st
    with nogil:
        st = ramps_lz4_scan_chunks(_u8(src), src.shape[0], NULL, NULL, NULL, NULL, 0,
                                   &count, &total, &err)
    if st == -5:
        raise Lz4Error(err.problem, err.chunk, err.produced)
    _check(st)
    so = np.empty(count, np.uint64)
    sl = np.empty(count, np.uint32)
    ro = np.empty(count, np.uint64)
    rl = np.empty(count, np.uint32)
    cdef uint64_t[::1] vso = so, vro = ro
    cdef uint32_t[::1] vsl = sl, vrl = rl
    if count:
        with nogil:
            st = ramps_lz4_scan_chunks(_u8(src), src.shape[0], &vso[0], &vsl[0], &vro[0],
                                       &vrl[0], count, &count, &total, &err)
        _check(st)
    return so, sl, ro, rl


def lz4_decode_chunks(const uint8_t[::1] src, const uint64_t[::1] src_off,
                      const uint32_t[::1] src_len, const uint64_t[::1] raw_off,
                      const uint32_t[::1] raw_len, uint64_t raw_base, uint8_t[::1] out,
                      int convert=0, int threads=0):
    """Decode chunks (as lz4_scan_chunks lists them) into ``out`` (bytes), in
    parallel, converting uint16 to float32 when ``convert`` says so."""
    cdef size_t n = src_off.shape[0]
    cdef ramps_lz4_error err
    cdef int st
    _need(src_len.shape[0], n, "src_len")
    _need(raw_off.shape[0], n, "raw_off")
    _need(raw_len.shape[0], n, "raw_len")
    if n == 0:
        return
    with nogil:
        st = ramps_lz4_decode_chunks(_u8(src), src.shape[0], &src_off[0], &src_len[0],
                                     &raw_off[0], &raw_len[0], n, raw_base, _wu8(out),
                                     out.shape[0], convert, threads, &err)
    if st == -5:
        raise Lz4Error(err.problem, err.chunk, err.produced)
    if st == -1:
        raise ValueError("lz4 chunks do not fit the input or the output buffer "
                         "(or split an element)")
    _check(st)


def lz4_compress_chunks(const uint8_t[::1] src, size_t chunk_size, uint8_t[::1] dst,
                        size_t dst_stride, uint32_t[::1] dst_len, int threads=0):
    """Compress ``src`` as asdf lz4 chunks in parallel: chunk c at c*dst_stride of
    ``dst``, dst_len[c] bytes long, header included."""
    cdef size_t n = src.shape[0]
    cdef size_t nchunks = (n + chunk_size - 1) // chunk_size if chunk_size else 0
    cdef int st
    if chunk_size == 0:
        raise ValueError("chunk_size must be positive")
    _need(dst_len.shape[0], nchunks, "dst_len")
    if <size_t>dst.shape[0] < nchunks * dst_stride:
        raise ValueError(f"lz4 chunk output holds {dst.shape[0]} bytes, "
                         f"{nchunks * dst_stride} needed")
    if n == 0:
        return
    with nogil:
        st = ramps_lz4_compress_chunks(_u8(src), n, chunk_size, _wu8(dst), dst_stride,
                                       &dst_len[0], threads)
    _check(st)
