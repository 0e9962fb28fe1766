# The declarations of csrc/ramps.h, the one header of the C core, for _core.pyx.
# Enums come from the header itself: Status and FitsProblem are also Python
# IntEnums (cpdef) so that errors and scan results can name a code's meaning.
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t


cdef extern from "ramps.h" nogil:
    cpdef enum Status "ramps_status":
        RAMPS_OK
        RAMPS_EINVAL
        RAMPS_EBITPIX
        RAMPS_ERANGE
        RAMPS_ENOMEM
        RAMPS_EFORMAT

    const char *ramps_strerror(int status)
    int ramps_max_threads(int threads)
    int ramps_have_openmp()

    # ---- decode (decode.c) ----
    enum ramps_dtype:
        RAMPS_INT8
        RAMPS_UINT8
        RAMPS_INT16
        RAMPS_UINT16
        RAMPS_INT32
        RAMPS_UINT32
        RAMPS_INT64
        RAMPS_UINT64
        RAMPS_FLOAT16
        RAMPS_FLOAT32
        RAMPS_FLOAT64
    enum ramps_byte_order:
        RAMPS_BIG_ENDIAN
        RAMPS_LITTLE_ENDIAN

    int ramps_decode_typed_f32(const uint8_t *inp, float *out, size_t n, int dtype,
                               int order, double scale, double offset, int threads)
    int ramps_decode_typed_f64(const uint8_t *inp, double *out, size_t n, int dtype,
                               int order, double scale, double offset, int threads)
    int ramps_load_xor(const uint8_t *inp, uint8_t *out, size_t n, int width, int order,
                       uint64_t xor_mask, int threads)

    # ---- encode (encode.c) ----
    int ramps_encode_f32(const float *inp, uint8_t *out, size_t n, int bitpix,
                         double bscale, double bzero, int threads)
    int ramps_encode_f64(const double *inp, uint8_t *out, size_t n, int bitpix,
                         double bscale, double bzero, int threads)
    int ramps_transcode_u16_f32be(const uint8_t *inp, uint8_t *out, size_t n, int threads)

    # ---- data quality (dq.c) ----
    int ramps_combine_dq_or(const uint32_t *pixeldq, const uint8_t *groupdq, uint32_t *out,
                            size_t nints, size_t ngroups, size_t npix, uint8_t mask,
                            int threads)
    int ramps_combine_dq_stcal(const uint32_t *pixeldq, const uint8_t *groupdq,
                               uint32_t *out, size_t nints, size_t ngroups, size_t npix,
                               uint8_t mask, int threads)
    int ramps_collapse_dq(const uint32_t *dq, uint32_t *out, size_t nints, size_t npix,
                          uint32_t and_bits, int threads)

    # ---- variances (variance.c) ----
    int ramps_err_f32(const float *a, const float *b, const float *c, float *out,
                      size_t n, int threads)
    int ramps_err_f32be(const uint8_t *a, const uint8_t *b, const uint8_t *c, float *out,
                        size_t n, int threads)
    int ramps_err_f16(const uint16_t *a, const uint16_t *b, const uint16_t *c,
                      float *out_f32, uint16_t *out_f16, size_t n, int threads)
    float ramps_half_to_float(uint16_t h)
    uint16_t ramps_float_to_half(float f)

    # ---- data quality (dq.c) ----
    cpdef enum DQFlag "ramps_dq_flag":
        DO_NOT_USE "RAMPS_DQ_DO_NOT_USE"
        SATURATED "RAMPS_DQ_SATURATED"
        JUMP_DET "RAMPS_DQ_JUMP_DET"
        DROPOUT "RAMPS_DQ_DROPOUT"
        OUTLIER "RAMPS_DQ_OUTLIER"
        PERSISTENCE "RAMPS_DQ_PERSISTENCE"
        AD_FLOOR "RAMPS_DQ_AD_FLOOR"
        CHARGELOSS "RAMPS_DQ_CHARGELOSS"
        RESERVED "RAMPS_DQ_RESERVED"
        NON_SCIENCE "RAMPS_DQ_NON_SCIENCE"

    # ---- FITS checksum (checksum.c) ----
    int ramps_fits_checksum(const uint8_t *buf, size_t n, uint32_t initial,
                            uint32_t *result, int threads)
    void ramps_checksum_encode(uint32_t value, int complement, char out[17])

    # ---- FITS structure index (fits_scan.c) ----
    enum:
        RAMPS_FITS_BLOCK
        RAMPS_FITS_MAX_AXES
    enum ramps_hdu_kind:
        RAMPS_HDU_PRIMARY
        RAMPS_HDU_IMAGE
        RAMPS_HDU_BINTABLE
        RAMPS_HDU_TABLE
        RAMPS_HDU_OTHER
        RAMPS_HDU_NONSTANDARD
    cpdef enum FitsProblem "ramps_fits_problem":
        MALFORMED "RAMPS_FITS_MALFORMED"
        NOT_HDU "RAMPS_FITS_NOT_HDU"
        TRUNCATED "RAMPS_FITS_TRUNCATED"
    ctypedef struct ramps_hdu_info:
        uint64_t header_offset, data_offset, data_size
        uint64_t naxis[RAMPS_FITS_MAX_AXES]
        int64_t pcount, gcount, blank
        double bscale, bzero
        int32_t naxis_count, bitpix, extver, kind
        int32_t has_bscale, has_bzero, has_blank, zimage, groups
        int32_t extname_truncated, nonascii, duplicates
        char extname[72]
    ctypedef struct ramps_fits_error:
        uint64_t offset
        int32_t problem
        char message[160]
    int ramps_fits_scan(const uint8_t *buf, size_t n, uint64_t base_offset, int at_eof,
                        ramps_hdu_info *out, size_t max_hdus, size_t *n_found,
                        uint64_t *next_offset, ramps_fits_error *err)

    # ---- LZ4 blocks and asdf's lz4 chunks (lz4.c)
    enum:
        RAMPS_LZ4_CHUNK_HEADER
    cpdef enum Lz4Problem "ramps_lz4_problem":
        LZ4_TRUNCATED "RAMPS_LZ4_TRUNCATED"
        LZ4_BAD_OFFSET "RAMPS_LZ4_BAD_OFFSET"
        LZ4_TOO_LONG "RAMPS_LZ4_TOO_LONG"
        LZ4_TOO_SHORT "RAMPS_LZ4_TOO_SHORT"
        LZ4_BAD_CHUNK "RAMPS_LZ4_BAD_CHUNK"
    cpdef enum Lz4Convert "ramps_lz4_convert":
        LZ4_RAW "RAMPS_LZ4_RAW"
        LZ4_U16_F32 "RAMPS_LZ4_U16_F32"
        LZ4_U16SWAP_F32 "RAMPS_LZ4_U16SWAP_F32"
    ctypedef struct ramps_lz4_error:
        size_t chunk
        int32_t problem
        uint64_t produced
    ctypedef void (*ramps_lz4_done_fn)(void *ctx, size_t chunk) noexcept nogil
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
                                ramps_lz4_done_fn done, void *ctx, ramps_lz4_error *err)
    int ramps_lz4_compress_chunks(const uint8_t *src, size_t n, size_t chunk_size,
                                  uint8_t *dst, size_t dst_stride, uint32_t *dst_len,
                                  int threads)
