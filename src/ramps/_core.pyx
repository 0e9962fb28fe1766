# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The only compiled module of ramps: checks lengths, releases the GIL, calls C.

Everything here takes flat, C-contiguous typed buffers.  Dtype checks, shapes
and friendly error messages live in :mod:`ramps.kernels`; this layer only
guarantees that C is never handed a length its buffers cannot hold, and turns
the status codes of csrc/ramps.h (declared in _core.pxd) into exceptions that
name them.  The functions are grouped by area in the included files:
_core_codec.pxi (decode, encode), _core_dq_err.pxi (DQ, ERR) and
_core_fits.pxi (checksums, the structure scan) and _core_lz4.pxi (asdf's lz4
chunks).
"""
from ramps.errors import KernelError


cdef int _check(int status, str what) except -1:
    """Raise for a C status other than RAMPS_OK: OverflowError for RAMPS_ERANGE,
    ValueError for RAMPS_EINVAL / RAMPS_EBITPIX, MemoryError for RAMPS_ENOMEM and
    KernelError otherwise; the message says what failed, why, and the code's name."""
    if status == RAMPS_OK:
        return 0
    try:
        name = Status(status).name
    except ValueError:
        name = f"status {status}"
    msg = f"{what}: {ramps_strerror(status).decode()} ({name})"
    if status == RAMPS_ERANGE:
        raise OverflowError(msg)
    if status == RAMPS_EINVAL or status == RAMPS_EBITPIX:
        raise ValueError(msg)
    if status == RAMPS_ENOMEM:
        raise MemoryError(msg)
    raise KernelError(msg)


cdef inline void _need(size_t have, object want, str what) except *:
    """Raise unless a buffer holds exactly ``want`` elements.  ``want`` is a Python
    int, so a product of huge dimensions cannot wrap around in size_t to a length
    the buffer happens to have."""
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


include "_core_codec.pxi"
include "_core_dq_err.pxi"
include "_core_fits.pxi"
include "_core_lz4.pxi"
