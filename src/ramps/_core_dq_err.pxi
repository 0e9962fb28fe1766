# Data quality and ERR (csrc/dq.c, csrc/variance.c); included by _core.pyx.


def combine_dq(const uint32_t[::1] pixeldq, const uint8_t[::1] groupdq,
               uint32_t[::1] out, size_t nints, size_t ngroups, uint8_t mask,
               bint stcal, int threads=0):
    cdef size_t npix = pixeldq.shape[0]
    # products as Python ints: in size_t a huge nints would wrap around to a
    # length the buffers have (and C would then read far past them)
    _need(groupdq.shape[0], <object>nints * ngroups * npix, "groupdq")
    _need(out.shape[0], <object>nints * npix, "out")
    with nogil:
        if stcal:
            st = ramps_combine_dq_stcal(_u32(pixeldq), _u8(groupdq), _wu32(out), nints,
                                        ngroups, npix, mask, threads)
        else:
            st = ramps_combine_dq_or(_u32(pixeldq), _u8(groupdq), _wu32(out), nints,
                                     ngroups, npix, mask, threads)
    _check(st, "combine_dq")


def collapse_dq(const uint32_t[::1] dq, uint32_t[::1] out, size_t nints,
                uint32_t and_bits, int threads=0):
    cdef size_t npix = out.shape[0]
    _need(dq.shape[0], <object>nints * npix, "dq")  # Python int: no wrap-around
    with nogil:
        st = ramps_collapse_dq(_u32(dq), _wu32(out), nints, npix, and_bits, threads)
    _check(st, "collapse_dq")


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
    _check(st, "err_f32")


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
    _check(st, "err_f32be")


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
    _check(st, "err_f16")


def half_to_float(uint16_t h) -> float:
    return ramps_half_to_float(h)


def float_to_half(float f) -> int:
    return ramps_float_to_half(f)
