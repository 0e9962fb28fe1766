/*
 * ramps.h - the C core of ramps: kernels over raw buffers with explicit lengths.
 *
 * C sees only bytes, element counts and plain numbers; Python owns structure
 * (dtypes, shapes, headers).  Every function returns RAMPS_OK or a negative
 * error code, never aborts, and never modifies its inputs.  `threads` <= 0
 * means "all available cores"; results are bit-identical for any thread count.
 * Loops use `#pragma omp parallel for` and compile without OpenMP as well.
 * A count no buffer can hold (elements or bytes above RAMPS_MAX_COUNT, or a
 * shape whose element counts overflow size_t) is RAMPS_EINVAL, refused before
 * any access.
 */
#ifndef RAMPS_H
#define RAMPS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The largest element or byte count a kernel accepts: PTRDIFF_MAX / 8, so
 * that the bytes of 8-byte elements fit ptrdiff_t (2**60 - 1 on 64 bits). */
#define RAMPS_MAX_COUNT ((size_t)(PTRDIFF_MAX / 8))

enum ramps_status {
    RAMPS_OK = 0,
    RAMPS_EINVAL = -1,  /* an argument is out of its documented domain */
    RAMPS_EBITPIX = -2, /* BITPIX not one of 8, 16, 32, 64, -32, -64 */
    RAMPS_ERANGE = -3,  /* a value does not fit the target type (or is NaN) */
    RAMPS_ENOMEM = -4,  /* an allocation failed */
    RAMPS_EFORMAT = -5  /* malformed input bytes (FITS structure) */
};

/* Human-readable text for a status code (static storage, never NULL). */
const char *ramps_strerror(int status);

/* Number of threads a kernel will use for `threads` (1 without OpenMP). */
int ramps_max_threads(int threads);

/* Non-zero when the library was compiled with OpenMP. */
int ramps_have_openmp(void);

/* ---- decode: stored numbers -> native values (decode.c) ------------------ */

/* The stored element types a kernel reads, each in either byte order (FITS
 * stores big-endian, ASDF native or little-endian).  Element widths are 1, 1,
 * 2, 2, 4, 4, 8, 8, 2, 4 and 8 bytes; FLOAT16 is IEEE binary16. */
enum ramps_dtype {
    RAMPS_INT8 = 1,
    RAMPS_UINT8 = 2,
    RAMPS_INT16 = 3,
    RAMPS_UINT16 = 4,
    RAMPS_INT32 = 5,
    RAMPS_UINT32 = 6,
    RAMPS_INT64 = 7,
    RAMPS_UINT64 = 8,
    RAMPS_FLOAT16 = 9,
    RAMPS_FLOAT32 = 10,
    RAMPS_FLOAT64 = 11
};

enum ramps_byte_order { RAMPS_BIG_ENDIAN = 0, RAMPS_LITTLE_ENDIAN = 1 };

/* n stored values of `dtype` in byte `order` (in holds n * width bytes, at any
 * alignment) into float32 / float64:
 *   scale = 1, offset = 0: out[i] = (T)x, one rounding (int64 -> float32 too);
 *   otherwise:             out[i] = (T)((double)x * scale + offset), computed
 *                          in double and rounded once (no fused multiply-add).
 * Float inputs keep their NaN payloads as the hardware conversion does.
 * RAMPS_EINVAL for an unknown dtype or order.  FITS data are BITPIX 8 = UINT8,
 * 16 = INT16, 32 = INT32, 64 = INT64, -32 = FLOAT32, -64 = FLOAT64, big-endian,
 * with scale = BSCALE and offset = BZERO. */
int ramps_decode_typed_f32(const uint8_t *in, float *out, size_t n, int dtype, int order,
                           double scale, double offset, int threads);
int ramps_decode_typed_f64(const uint8_t *in, double *out, size_t n, int dtype, int order,
                           double scale, double offset, int threads);

/* Exact route: n elements of `width` bytes (1, 2, 4 or 8) stored in byte
 * `order` -> native order, each xored with xor_mask (after the load).  With
 * xor_mask set to the sign bit this is the pseudo-unsigned BZERO convention
 * (int16+32768 -> uint16, ...), with 0 a plain byte swap or copy.  A swap is
 * its own inverse, so RAMPS_BIG_ENDIAN also stores native values big-endian
 * (encoding, with the mask byte-swapped). */
int ramps_load_xor(const uint8_t *in, uint8_t *out, size_t n, int width, int order,
                   uint64_t xor_mask, int threads);

/* ---- encode: native -> big-endian FITS bytes (encode.c) ----------------- */

/* Floating input into any BITPIX: raw = (x - bzero) / bscale in double; for
 * integer BITPIX rounded half-to-even, and RAMPS_ERANGE if a value is NaN or
 * outside the type (out is then unspecified).  out holds n*|bitpix|/8 bytes. */
int ramps_encode_f32(const float *in, uint8_t *out, size_t n, int bitpix,
                     double bscale, double bzero, int threads);
int ramps_encode_f64(const double *in, uint8_t *out, size_t n, int bitpix,
                     double bscale, double bzero, int threads);

/* Big-endian int16 with BZERO=32768 -> big-endian float32 bytes, no native
 * intermediate (uncal SCI -> ramp SCI).  in: 2*n bytes, out: 4*n bytes. */
int ramps_transcode_u16_f32be(const uint8_t *in, uint8_t *out, size_t n,
                              int threads);

/* ---- data quality (dq.c) ------------------------------------------------ */

/* JWST data-quality flag values (stdatamodels' dqflags.pixel), the one place they
 * are written down: dq.c uses them, and ramps.kernels.flags reads them from here. */
enum ramps_dq_flag {
    RAMPS_DQ_DO_NOT_USE = 1u << 0,
    RAMPS_DQ_SATURATED = 1u << 1,
    RAMPS_DQ_JUMP_DET = 1u << 2,
    RAMPS_DQ_DROPOUT = 1u << 3,
    RAMPS_DQ_OUTLIER = 1u << 4,
    RAMPS_DQ_PERSISTENCE = 1u << 5,
    RAMPS_DQ_AD_FLOOR = 1u << 6,
    RAMPS_DQ_CHARGELOSS = 1u << 7,
    RAMPS_DQ_RESERVED = 1u << 8,
    RAMPS_DQ_NON_SCIENCE = 1u << 9
};

/* pixeldq: npix uint32; groupdq: nints*ngroups*npix uint8 (C order);
 * out: nints*npix uint32.  out = pixeldq | OR_g (groupdq & mask). */
int ramps_combine_dq_or(const uint32_t *pixeldq, const uint8_t *groupdq,
                        uint32_t *out, size_t nints, size_t ngroups,
                        size_t npix, uint8_t mask, int threads);

/* Same shapes, with the integration-DQ rules of stcal's ramp fitting
 * (see kernels.combine_dq for the rules and their flag values). */
int ramps_combine_dq_stcal(const uint32_t *pixeldq, const uint8_t *groupdq,
                           uint32_t *out, size_t nints, size_t ngroups,
                           size_t npix, uint8_t mask, int threads);

/* dq: nints*npix uint32 -> out: npix uint32, OR over integrations.  When
 * and_bits is non-zero those bits are kept only where every integration
 * has them (stcal keeps DO_NOT_USE only where all integrations are bad). */
int ramps_collapse_dq(const uint32_t *dq, uint32_t *out, size_t nints,
                      size_t npix, uint32_t and_bits, int threads);

/* ---- variances (variance.c) --------------------------------------------- */

/* out[i] = sqrt(a[i] + b[i] (+ c[i])), float32 arithmetic in that order;
 * c may be NULL. */
int ramps_err_f32(const float *a, const float *b, const float *c, float *out,
                  size_t n, int threads);

/* The same from big-endian float32 inputs as stored in FITS (BITPIX = -32):
 * a, b (and c unless NULL) hold 4*n bytes each, at any alignment.  Bit for
 * bit ramps_err_f32 of the byte-swapped inputs, NaN payloads included; out
 * is native float32 and must not overlap the inputs. */
int ramps_err_f32be(const uint8_t *a, const uint8_t *b, const uint8_t *c, float *out,
                    size_t n, int threads);

/* IEEE binary16 inputs (as uint16 bit patterns), summed and rooted in
 * float32; out_f32 or out_f16 (exactly one non-NULL) receives the result,
 * the float16 one rounded once to nearest-even.  c may be NULL. */
int ramps_err_f16(const uint16_t *a, const uint16_t *b, const uint16_t *c,
                  float *out_f32, uint16_t *out_f16, size_t n, int threads);

/* binary16 <-> binary32 conversions, exposed for tests. */
float ramps_half_to_float(uint16_t h);
uint16_t ramps_float_to_half(float f);

/* ---- FITS checksum (checksum.c) ----------------------------------------- */

/* 32-bit ones'-complement sum of big-endian words (FITS standard, App. J),
 * continuing from `initial`.  n (bytes) must be a multiple of 4. */
int ramps_fits_checksum(const uint8_t *buf, size_t n, uint32_t initial,
                        uint32_t *result, int threads);

/* The 16-character ASCII encoding of a checksum value (App. J); out receives
 * 16 characters and a terminating NUL.  complement: encode ~value. */
void ramps_checksum_encode(uint32_t value, int complement, char out[17]);

/* ---- FITS structure index (fits_scan.c) --------------------------------- */

#define RAMPS_FITS_BLOCK 2880             /* bytes in a FITS block (36 cards of 80) */
#define RAMPS_FITS_MAX_AXES 9              /* NAXIS above this: RAMPS_EFORMAT */
#define RAMPS_FITS_MAX_HEADER_BLOCKS 10000 /* no END within 28.8 MB: RAMPS_EFORMAT */

enum ramps_hdu_kind {
    RAMPS_HDU_PRIMARY = 0,
    RAMPS_HDU_IMAGE = 1,
    RAMPS_HDU_BINTABLE = 2, /* also A3DTABLE */
    RAMPS_HDU_TABLE = 3,
    RAMPS_HDU_OTHER = 4,    /* any other XTENSION */
    RAMPS_HDU_NONSTANDARD = 5 /* SIMPLE = F: astropy's non-standard primary, whose data
                                 is the rest of the file (no extensions follow) */
};

/* The layout of one HDU, from its header's structural keywords. */
typedef struct {
    uint64_t header_offset; /* file offset of the first header card */
    uint64_t data_offset;   /* header_offset + header size (a multiple of 2880) */
    uint64_t data_size;     /* |BITPIX|/8 * GCOUNT * (PCOUNT + prod NAXISn), unpadded;
                               0 when NAXIS = 0 (astropy's rule) */
    uint64_t naxis[RAMPS_FITS_MAX_AXES]; /* NAXIS1..NAXISn in file order, 0 beyond */
    int64_t pcount, gcount;              /* 0 and 1 when absent */
    int64_t blank;                       /* valid when has_blank */
    double bscale, bzero;                /* 1 and 0 when absent */
    int32_t naxis_count, bitpix;
    int32_t extver;                      /* 1 when absent or not an integer */
    int32_t kind;                        /* enum ramps_hdu_kind */
    int32_t has_bscale, has_bzero, has_blank; /* images only: tables ignore them */
    int32_t zimage;            /* ZIMAGE = T: a tile-compressed image (BINTABLE) */
    int32_t groups;            /* random groups: primary, GROUPS = T, NAXIS1 = 0 */
    int32_t extname_truncated; /* EXTNAME (with CONTINUE cards) longer than 71 */
    int32_t nonascii;          /* non-printable bytes in values or comments */
    int32_t duplicates;        /* repeated BITPIX/NAXIS/NAXISn/PCOUNT/GCOUNT cards: the
                                  last one counts, as astropy reads the data */
    char extname[72];          /* trimmed, NUL-terminated; empty when absent */
} ramps_hdu_info;

enum ramps_fits_problem {
    RAMPS_FITS_MALFORMED = 1, /* a header breaks the standard */
    RAMPS_FITS_NOT_HDU = 2,   /* no SIMPLE (offset 0) or XTENSION card where an HDU
                                 starts: not FITS, or bytes after the last HDU */
    RAMPS_FITS_TRUNCATED = 3  /* at_eof and the file ends inside a header */
};

/* Where and why a header is malformed. */
typedef struct {
    uint64_t offset;   /* file offset of the offending card (or of the HDU) */
    int32_t problem;   /* enum ramps_fits_problem */
    char message[160]; /* e.g. "NAXIS2 = -5 is not a non-negative integer" */
} ramps_fits_error;

/* Index the HDUs whose headers lie in buf: n bytes read from file offset
 * base_offset, which must be an HDU boundary (offset 0 holds the primary
 * header, SIMPLE = T, or SIMPLE = F: a RAMPS_HDU_NONSTANDARD primary, the last
 * HDU, its structural keywords unchecked and data_size 0 (the caller knows where
 * the file ends); any other offset an XTENSION header).  Only header
 * bytes are read: each HDU's data is skipped by arithmetic and need not be
 * in buf, so a caller may feed header regions alone.
 *
 * Fills out[0 .. *n_found) and stops at the first of: max_hdus HDUs; the next
 * header starting at or beyond the end of buf; the next header not complete
 * in buf (no END card among its whole cards).  *next_offset is then the file
 * offset of the next header, where a later call resumes: if it lies inside
 * buf, that header needs more bytes.  With at_eof (buf ends where the file
 * does) an incomplete header is instead an error: RAMPS_FITS_TRUNCATED, or
 * RAMPS_FITS_NOT_HDU when its bytes do not begin like a header.
 *
 * Returns RAMPS_OK, RAMPS_EINVAL for bad arguments, or RAMPS_EFORMAT for a
 * malformed header: out[0 .. *n_found) are the valid HDUs before it,
 * *next_offset is where the bad header starts, out[*n_found] holds what was
 * parsed of it (header_offset, extname, extver when present) and err (may be
 * NULL) says where and why.  Bytes outside printable ASCII in the first 8
 * columns of a card are an error; elsewhere they are counted (nonascii).
 * Never reads outside buf[0 .. n). */
int ramps_fits_scan(const uint8_t *buf, size_t n, uint64_t base_offset, int at_eof,
                    ramps_hdu_info *out, size_t max_hdus, size_t *n_found,
                    uint64_t *next_offset, ramps_fits_error *err);

/* ---- LZ4 blocks and asdf's lz4 chunks (lz4.c) ---------------------------- */

#define RAMPS_LZ4_CHUNK_HEADER 8            /* 4-byte BE size + 4-byte LE raw size */
#define RAMPS_LZ4_MAX_INPUT 0x7E000000u     /* largest block the format allows */

enum ramps_lz4_problem {
    RAMPS_LZ4_TRUNCATED = 1,  /* the input ends inside a sequence or chunk header */
    RAMPS_LZ4_BAD_OFFSET = 2, /* a match offset of 0 or before the start of the output */
    RAMPS_LZ4_TOO_LONG = 3,   /* decodes to more bytes than the declared size */
    RAMPS_LZ4_TOO_SHORT = 4,  /* decodes to fewer bytes than the declared size */
    RAMPS_LZ4_BAD_CHUNK = 5   /* a chunk header's size field is impossible (< 4) */
};

enum ramps_lz4_convert {
    RAMPS_LZ4_RAW = 0,         /* decoded bytes as they are */
    RAMPS_LZ4_U16_F32 = 1,     /* native-order uint16 -> float32 */
    RAMPS_LZ4_U16SWAP_F32 = 2  /* byte-swapped (big-endian) uint16 -> float32 */
};

/* Which chunk failed and how (problem: enum ramps_lz4_problem). */
typedef struct {
    size_t chunk;      /* index of the first failing chunk */
    int32_t problem;
    uint64_t produced; /* bytes decoded before the failure (scan: the chunk's offset) */
} ramps_lz4_error;

/* Worst-case compressed size of n bytes (n + n/255 + 16). */
size_t ramps_lz4_bound(size_t n);

/* Decode one raw LZ4 block src[0..n) into dst[0..cap).  RAMPS_OK with
 * *written bytes, or RAMPS_EFORMAT with *problem set (and *written the bytes
 * produced so far).  Never reads or writes outside the two buffers; may write
 * anywhere in dst[0..cap) before failing. */
int ramps_lz4_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                         size_t *written, int *problem);

/* Encode src[0..n) as one raw LZ4 block (greedy, 4-byte matches, a hash
 * table of 64 KiB on the stack).  cap must be at least ramps_lz4_bound(n),
 * n at most RAMPS_LZ4_MAX_INPUT (RAMPS_EINVAL otherwise). */
int ramps_lz4_compress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap,
                       size_t *written);

/* Walk the chunk headers of an asdf lz4 block src[0..n).  With all four
 * arrays non-NULL (max_chunks entries each) records each chunk's LZ4 data
 * (src_off, src_len) and its place in the decoded bytes (raw_off, raw_len);
 * with any of them NULL only counts.  *n_chunks, *raw_total: chunks and
 * decoded bytes.  RAMPS_EFORMAT (err: chunk index, problem, produced = the
 * chunk's offset) for a chunk that is cut short or impossible. */
int ramps_lz4_scan_chunks(const uint8_t *src, size_t n, uint64_t *src_off, uint32_t *src_len,
                          uint64_t *raw_off, uint32_t *raw_len, size_t max_chunks,
                          size_t *n_chunks, uint64_t *raw_total, ramps_lz4_error *err);

/* Decode n_chunks chunks (as scanned) in parallel into out, the decoded bytes
 * from raw_base on: chunk c lands at (raw_off[c] - raw_base) << s, s = 0 for
 * RAMPS_LZ4_RAW (straight into out) and 1 for the uint16 -> float32
 * conversions (decoded into the upper half of the chunk's float32 range and
 * converted there in place: no buffer).  Every chunk must decode to exactly
 * raw_len[c] bytes.  RAMPS_EINVAL when a chunk lies outside src or out (or
 * splits an element); RAMPS_EFORMAT with err naming the first failing chunk
 * (the output ranges of failed chunks hold unspecified bytes).  done, when
 * not NULL, is called with ctx and c once chunk c's bytes of src are no longer
 * read (decoded or failed), by the thread that decoded it, so possibly from
 * several threads at once: the caller may drop those pages of a mapped file. */
typedef void (*ramps_lz4_done_fn)(void *ctx, size_t chunk);
int ramps_lz4_decode_chunks(const uint8_t *src, size_t n, const uint64_t *src_off,
                            const uint32_t *src_len, const uint64_t *raw_off,
                            const uint32_t *raw_len, size_t n_chunks, uint64_t raw_base,
                            uint8_t *out, size_t out_size, int convert, int threads,
                            ramps_lz4_done_fn done, void *ctx, ramps_lz4_error *err);

/* Compress src[0..n) as asdf lz4 chunks of chunk_size input bytes, in
 * parallel: chunk c (header included) goes to dst + c * dst_stride and is
 * dst_len[c] bytes long.  dst_stride >= RAMPS_LZ4_CHUNK_HEADER +
 * ramps_lz4_bound(chunk_size); dst holds ceil(n / chunk_size) strides. */
int ramps_lz4_compress_chunks(const uint8_t *src, size_t n, size_t chunk_size, uint8_t *dst,
                              size_t dst_stride, uint32_t *dst_len, int threads);

#ifdef __cplusplus
}
#endif

#endif /* RAMPS_H */
