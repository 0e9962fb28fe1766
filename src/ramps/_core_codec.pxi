# Decode and encode (csrc/decode.c, csrc/encode.c); included by _core.pyx.
#
# Stored inputs are described by a numpy dtype string (dtype.str): a byte-order
# character ('>' big-endian, '<' little-endian, '|' or '=' native) and the
# kind and width ('i2', 'u2', 'f4' ...).

#: kind and width of numpy dtype -> enum ramps_dtype
cdef dict _DTYPE_CODES = {
    "i1": RAMPS_INT8, "u1": RAMPS_UINT8, "i2": RAMPS_INT16, "u2": RAMPS_UINT16,
    "i4": RAMPS_INT32, "u4": RAMPS_UINT32, "i8": RAMPS_INT64, "u8": RAMPS_UINT64,
    "f2": RAMPS_FLOAT16, "f4": RAMPS_FLOAT32, "f8": RAMPS_FLOAT64,
}
#: The kinds and widths of numpy dtypes the decode kernels read ("i2", "f4" ...).
DECODABLE = frozenset(_DTYPE_CODES)

import sys as _sys
cdef int _NATIVE = RAMPS_LITTLE_ENDIAN if _sys.byteorder == "little" else RAMPS_BIG_ENDIAN


cdef int _order(str stored) except -1:
    cdef str c = stored[:1]
    if c == ">":
        return RAMPS_BIG_ENDIAN
    if c == "<":
        return RAMPS_LITTLE_ENDIAN
    if c == "|" or c == "=":
        return _NATIVE
    raise ValueError(f"stored dtype {stored!r}: byte order must be '>', '<', '|' or '='")


cdef int _dtype_code(str stored) except -1:
    code = _DTYPE_CODES.get(stored[1:])
    if code is None:
        raise ValueError(f"stored dtype {stored!r} is not one the decode kernels read "
                         f"({', '.join(sorted(DECODABLE))})")
    return code


def decode_f32(const uint8_t[::1] src, float[::1] dst, str stored, double scale=1.0,
               double offset=0.0, int threads=0):
    """dst = src (numbers of dtype ``stored``, e.g. '>i2') * scale + offset, as float32."""
    cdef int order = _order(stored), code = _dtype_code(stored)
    cdef size_t n = dst.shape[0]
    _need(src.shape[0], n * int(stored[2:]), "decode input bytes")
    with nogil:
        st = ramps_decode_typed_f32(_u8(src), _wf32(dst), n, code, order, scale, offset,
                                    threads)
    _check(st, f"decode {stored} to float32")


def decode_f64(const uint8_t[::1] src, double[::1] dst, str stored, double scale=1.0,
               double offset=0.0, int threads=0):
    """dst = src (numbers of dtype ``stored``, e.g. '<u2') * scale + offset, as float64."""
    cdef int order = _order(stored), code = _dtype_code(stored)
    cdef size_t n = dst.shape[0]
    cdef double *d = &dst[0] if n else NULL
    _need(src.shape[0], n * int(stored[2:]), "decode input bytes")
    with nogil:
        st = ramps_decode_typed_f64(_u8(src), d, n, code, order, scale, offset, threads)
    _check(st, f"decode {stored} to float64")


def load_xor(const uint8_t[::1] src, uint8_t[::1] dst, str stored, uint64_t mask,
             int threads=0):
    """dst = src's elements (dtype ``stored``) in native byte order, xored with mask."""
    cdef int order = _order(stored)
    _dtype_code(stored)
    cdef int width = int(stored[2:])
    cdef size_t n = dst.shape[0] // width
    _need(dst.shape[0], n * width, "output bytes (whole elements)")
    _need(src.shape[0], dst.shape[0], "input bytes")
    with nogil:
        st = ramps_load_xor(_u8(src), _wu8(dst), n, width, order, mask, threads)
    _check(st, f"load {stored}")


def encode_f32(const float[::1] src, uint8_t[::1] dst, int bitpix, double bscale,
               double bzero, int threads=0):
    cdef size_t n = src.shape[0]
    _need(dst.shape[0], n * (abs(<object>bitpix) // 8), "encode output bytes")
    with nogil:
        st = ramps_encode_f32(_f32(src), _wu8(dst), n, bitpix, bscale, bzero, threads)
    _check(st, f"encode float32 as BITPIX={bitpix}")


def encode_f64(const double[::1] src, uint8_t[::1] dst, int bitpix, double bscale,
               double bzero, int threads=0):
    cdef size_t n = src.shape[0]
    cdef const double *s = &src[0] if n else NULL
    _need(dst.shape[0], n * (abs(<object>bitpix) // 8), "encode output bytes")
    with nogil:
        st = ramps_encode_f64(s, _wu8(dst), n, bitpix, bscale, bzero, threads)
    _check(st, f"encode float64 as BITPIX={bitpix}")


def transcode_u16_f32be(const uint8_t[::1] src, uint8_t[::1] dst, int threads=0):
    cdef size_t n = src.shape[0] // 2
    _need(src.shape[0], 2 * n, "input bytes (whole int16 elements)")
    _need(dst.shape[0], 4 * n, "output bytes")
    with nogil:
        st = ramps_transcode_u16_f32be(_u8(src), _wu8(dst), n, threads)
    _check(st, "transcode")
