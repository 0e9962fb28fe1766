# ==== LZ4 chunks of asdf blocks (lz4.c) ======================================
# Errors and wrappers of the LZ4 codec (declared in _core.pxd).
# Python callers: ramps.asdf.codecs.

#: The text the wrappers give for each problem of enum ramps_lz4_problem (Lz4Problem).
LZ4_PROBLEMS = {
    Lz4Problem.LZ4_TRUNCATED: "truncated (the data ends inside a sequence or a chunk header)",
    Lz4Problem.LZ4_BAD_OFFSET: "a match offset points before the start of the output",
    Lz4Problem.LZ4_TOO_LONG: "decodes to more bytes than its declared size",
    Lz4Problem.LZ4_TOO_SHORT: "decodes to fewer bytes than its declared size",
    Lz4Problem.LZ4_BAD_CHUNK: "a chunk size field is impossible (< 4 bytes)",
}
LZ4_CHUNK_HEADER = RAMPS_LZ4_CHUNK_HEADER
globals().update({m.name: m for m in (*Lz4Problem, *Lz4Convert)})  # _core.LZ4_RAW ...


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
    if st == RAMPS_EFORMAT:
        raise Lz4Error(problem, None, written)
    _check(st, "lz4 decompress")
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
    _check(st, "lz4 compress")
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
    if st == RAMPS_EFORMAT:
        raise Lz4Error(err.problem, err.chunk, err.produced)
    _check(st, "lz4 scan chunks")
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
        _check(st, "lz4 scan chunks")
    return so, sl, ro, rl


cdef extern from *:
    """
    /* Drop the whole pages inside [p, p + n) from this process's page tables
     * (MADV_DONTNEED): for a file mapped read-only the page cache keeps them
     * and a later read faults them back in; the pages leave the process's RSS. */
    #if defined(__unix__) || defined(__APPLE__)
    #include <sys/mman.h>
    #include <unistd.h>
    static void ramps_drop_pages(const unsigned char *p, size_t n) {
        const long sz = sysconf(_SC_PAGESIZE);
        const uintptr_t page = sz > 0 ? (uintptr_t)sz : 4096;
        const uintptr_t lo = ((uintptr_t)p + page - 1) / page * page;
        const uintptr_t hi = ((uintptr_t)p + n) / page * page;
        if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_DONTNEED);
    }
    #else
    static void ramps_drop_pages(const unsigned char *p, size_t n) { (void)p; (void)n; }
    #endif
    """
    void ramps_drop_pages(const uint8_t *p, size_t n) noexcept nogil


ctypedef struct _DropChunks:
    const uint8_t *src
    size_t n
    const uint64_t *so
    const uint32_t *sl


cdef void _drop_chunk(void *ctx, size_t c) noexcept nogil:
    """ramps_lz4_decode_chunks' done callback: drop chunk c's pages, header
    included (never outside src)."""
    cdef _DropChunks *d = <_DropChunks *>ctx
    cdef uint64_t lo = d.so[c] - RAMPS_LZ4_CHUNK_HEADER if d.so[c] >= RAMPS_LZ4_CHUNK_HEADER else 0
    cdef uint64_t hi = d.so[c] + d.sl[c]
    if hi > d.n:
        hi = d.n
    if hi > lo:
        ramps_drop_pages(d.src + lo, hi - lo)


def lz4_decode_chunks(const uint8_t[::1] src, const uint64_t[::1] src_off,
                      const uint32_t[::1] src_len, const uint64_t[::1] raw_off,
                      const uint32_t[::1] raw_len, uint64_t raw_base, uint8_t[::1] out,
                      int convert=0, int threads=0, bint drop_mapped=False):
    """Decode chunks (as lz4_scan_chunks lists them) into ``out`` (bytes), in
    parallel, converting uint16 to float32 when ``convert`` says so.

    ``drop_mapped``: ``src`` maps a file read-only, and each chunk's pages are
    dropped from the process (madvise DONTNEED) as soon as it is decoded, by
    the thread that decoded it: the peak RSS is the output plus the chunks in
    flight.  Never on other memory: dropped anonymous pages read back as zeros."""
    cdef size_t n = src_off.shape[0]
    cdef ramps_lz4_error err
    cdef int st
    cdef _DropChunks drop
    cdef ramps_lz4_done_fn done = _drop_chunk if drop_mapped else <ramps_lz4_done_fn>NULL
    _need(src_len.shape[0], n, "src_len")
    _need(raw_off.shape[0], n, "raw_off")
    _need(raw_len.shape[0], n, "raw_len")
    if n == 0:
        return
    drop.src, drop.n, drop.so, drop.sl = _u8(src), src.shape[0], &src_off[0], &src_len[0]
    with nogil:
        st = ramps_lz4_decode_chunks(_u8(src), src.shape[0], &src_off[0], &src_len[0],
                                     &raw_off[0], &raw_len[0], n, raw_base, _wu8(out),
                                     out.shape[0], convert, threads,
                                     done, &drop, &err)
    if st == RAMPS_EFORMAT:
        raise Lz4Error(err.problem, err.chunk, err.produced)
    if st == RAMPS_EINVAL:
        raise ValueError("lz4 chunks do not fit the input or the output buffer "
                         "(or split an element)")
    _check(st, "lz4 decode chunks")


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
    _check(st, "lz4 compress chunks")
