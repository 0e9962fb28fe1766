/* fits_scan.c - the FITS structure index: HDU layout from the header cards.
 *
 * Reads only header bytes: each HDU's data is skipped by arithmetic on its
 * structural keywords, so a caller may hand over header regions alone.  Every
 * access is bounded by n; every loop advances by at least one card (80 bytes)
 * or one HDU (2880 bytes); every size is checked for overflow. */
#include "ramps.h"
#include "common.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define CARD 80
#define BLOCK RAMPS_FITS_BLOCK

/* Parse state of one header. */
typedef struct {
    ramps_hdu_info *h;
    uint64_t card_offset; /* file offset of the current card */
    int seen_bitpix, seen_naxis, seen_pcount, seen_gcount;
    int seen_extname, seen_extver, seen_zimage, seen_groups;
    uint32_t seen_axes; /* bit k: NAXIS(k+1) seen, k < RAMPS_FITS_MAX_AXES */
    int64_t naxis, bitpix;
    size_t extlen;      /* characters of EXTNAME so far (may exceed the buffer) */
    int ext_run;        /* the previous card was EXTNAME or a CONTINUE of it */
    int ext_parts, ext_amp; /* parts joined; the last one's '&' was dropped */
    int failed;         /* an error is recorded in err */
    ramps_fits_error *err;
} scan_state;

/* Record a problem (the first one is the one reported); returns -1. */
static int fail_as(scan_state *s, int problem, uint64_t offset, const char *fmt, ...) {
    if (s->failed || !s->err) return s->failed = -1;
    s->failed = -1;
    s->err->problem = problem;
    s->err->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err->message, sizeof s->err->message, fmt, ap);
    va_end(ap);
    return -1;
}

#define fail(s, ...) fail_as(s, RAMPS_FITS_MALFORMED, __VA_ARGS__)

static int kw(const uint8_t *c, const char *k8) { return memcmp(c, k8, 8) == 0; }

/* A card's keyword and value text made printable and trimmed, for messages. */
static void describe(const uint8_t *c, char *key, char *val) {
    int k = 8, v = 0;
    while (k > 0 && c[k - 1] == ' ') k--;
    for (int i = 0; i < k; i++) key[i] = (char)(c[i] >= 0x20 && c[i] < 0x7f ? c[i] : '?');
    key[k] = '\0';
    int a = 10, b = CARD;
    while (a < b && c[a] == ' ') a++;
    while (b > a && c[b - 1] == ' ') b--;
    if (b - a > 40) b = a + 40;
    for (int i = a; i < b; i++) val[v++] = (char)(c[i] >= 0x20 && c[i] < 0x7f ? c[i] : '?');
    val[v] = '\0';
}

static void bad_value(scan_state *s, const uint8_t *c, const char *what) {
    char key[9], val[41];
    describe(c, key, val);
    fail(s, s->card_offset, "%s = %s is not %s", key, val, what);
}

/* After a value: only spaces, then the end of the card or a '/' comment. */
static int value_end(const uint8_t *p, size_t n, size_t i) {
    while (i < n && p[i] == ' ') i++;
    return i == n || p[i] == '/';
}

/* Integer value: 0 ok, 1 not an integer, 2 out of int64 range. */
static int parse_int(const uint8_t *p, size_t n, int64_t *out) {
    size_t i = 0;
    while (i < n && p[i] == ' ') i++;
    int neg = 0;
    if (i < n && (p[i] == '+' || p[i] == '-')) neg = p[i++] == '-';
    if (i >= n || p[i] < '0' || p[i] > '9') return 1;
    const uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    int range = 0;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
        const unsigned d = (unsigned)(p[i] - '0');
        if (v > (lim - d) / 10) range = 1;
        else v = v * 10 + d;
    }
    if (!value_end(p, n, i)) return 1;
    if (range) return 2;
    *out = !neg ? (int64_t)v : v == lim ? INT64_MIN : -(int64_t)v;
    return 0;
}

/* Real value (FITS fixed or free format, D or E exponent): 0 ok, 1 not a
 * number, 2 not finite.  Exact fast path for up to 15 significant digits and
 * a decimal exponent within +-22 (Clinger); strtod otherwise. */
static int parse_real(const uint8_t *p, size_t n, double *out) {
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0;
    while (i < n && p[i] == ' ') i++;
    const size_t start = i;
    int neg = 0;
    if (i < n && (p[i] == '+' || p[i] == '-')) neg = p[i++] == '-';
    uint64_t mant = 0;
    int ndig = 0, frac = 0, any = 0;
    long exp10 = 0;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++, any = 1)
        if (mant || p[i] != '0') {
            if (ndig < 19) mant = mant * 10 + (uint64_t)(p[i] - '0');
            else exp10++;
            ndig++;
        }
    if (i < n && p[i] == '.')
        for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++, any = 1) {
            if (!mant && p[i] == '0') { frac++; continue; }
            if (ndig < 19) { mant = mant * 10 + (uint64_t)(p[i] - '0'); frac++; }
            ndig++;
        }
    if (!any) return 1;
    if (i < n && (p[i] == 'E' || p[i] == 'D' || p[i] == 'e' || p[i] == 'd')) {
        i++;
        int eneg = 0;
        long e = 0;
        if (i < n && (p[i] == '+' || p[i] == '-')) eneg = p[i++] == '-';
        if (i >= n || p[i] < '0' || p[i] > '9') return 1;
        for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
            if (e < 100000) e = e * 10 + (p[i] - '0');
        exp10 += eneg ? -e : e;
    }
    const size_t stop = i;
    if (!value_end(p, n, i)) return 1;
    const long e = exp10 - frac;
    double v;
    if (mant == 0) {
        v = 0.0;
    } else if (ndig <= 15 && e >= -22 && e <= 22) {
        v = e >= 0 ? (double)mant * p10[e] : (double)mant / p10[-e];
    } else { /* strtod on a NUL-terminated copy, in the C locale's notation */
        char tmp[CARD + 1];
        const char dp = localeconv()->decimal_point[0];
        size_t k = 0;
        for (size_t j = start; j < stop && k < CARD; j++) {
            char ch = (char)p[j];
            tmp[k++] = ch == 'D' || ch == 'd' ? 'E' : ch == '.' ? dp : ch;
        }
        tmp[k] = '\0';
        char *end;
        v = strtod(tmp, &end);
        if (v != v || v - v != 0) return 2; /* inf (overflow) */
        neg = 0;
    }
    *out = neg ? -v : v;
    return 0;
}

/* Logical value T or F: 0 ok (value in *out), 1 not a logical. */
static int parse_logical(const uint8_t *p, size_t n, int *out) {
    size_t i = 0;
    while (i < n && p[i] == ' ') i++;
    if (i >= n || (p[i] != 'T' && p[i] != 'F')) return 1;
    *out = p[i] == 'T';
    return value_end(p, n, i + 1) ? 0 : 1;
}

/* Quoted string value with '' escapes.  Appends to out (capacity cap
 * including the NUL) from *len on; *len counts every character, stored or
 * not.  Trailing spaces are kept: callers trim.  0 ok, 1 not a string. */
static int parse_string(const uint8_t *p, size_t n, char *out, size_t cap, size_t *len) {
    size_t i = 0;
    while (i < n && p[i] == ' ') i++;
    if (i >= n || p[i] != '\'') return 1;
    for (i++; i < n; i++) {
        if (p[i] == '\'') {
            if (i + 1 < n && p[i + 1] == '\'') i++;
            else return 0;
        }
        if (*len + 1 < cap) out[*len] = (char)p[i];
        (*len)++;
    }
    return 1; /* no closing quote */
}

static size_t rtrim(const char *s, size_t len) {
    while (len > 0 && s[len - 1] == ' ') len--;
    return len;
}

/* The value field of a card with a value indicator, or NULL. */
static const uint8_t *value_of(const uint8_t *c) { return c[8] == '=' ? c + 9 : NULL; }
#define VLEN (CARD - 9)

/* NAXISn keyword: n (1..999), 0 for NAXIS itself, -1 for anything else. */
static int naxis_keyword(const uint8_t *c) {
    if (memcmp(c, "NAXIS", 5) != 0) return -1;
    int k = 5, v = 0;
    while (k < 8 && c[k] >= '0' && c[k] <= '9') v = v * 10 + (c[k++] - '0');
    if (k == 5) return kw(c, "NAXIS   ") ? 0 : -1;
    if (c[5] == '0') return -1;
    for (; k < 8; k++)
        if (c[k] != ' ') return -1;
    return v;
}

/* An integer keyword.  A structural one given twice counts its last card, as
 * astropy reads the data (its Header's h[key] gives the first card, but the
 * data's shape, type and size follow the last); the repeats are counted. */
static void int_keyword(scan_state *s, const uint8_t *c, int64_t *dst, int *seen) {
    const uint8_t *v = value_of(c);
    if (*seen) s->h->duplicates++;
    *seen = 1;
    if (!v) {
        char key[9], val[41];
        describe(c, key, val);
        fail(s, s->card_offset, "%s has no value ('= ' missing in columns 9-10)", key);
        return;
    }
    const int r = parse_int(v, VLEN, dst);
    if (r) bad_value(s, c, r == 2 ? "within the 64-bit integer range" : "an integer");
}

static void extname_append(scan_state *s, const char *text, size_t len) {
    ramps_hdu_info *h = s->h;
    const size_t cap = sizeof h->extname - 1;
    for (size_t i = 0; i < len; i++, s->extlen++)
        if (s->extlen < cap) h->extname[s->extlen] = text[i];
    h->extname_truncated = s->extlen > cap;
}

static void extname_done(scan_state *s) {
    ramps_hdu_info *h = s->h;
    if (s->ext_parts == 1 && s->ext_amp) extname_append(s, "&", 1);
    s->ext_run = 0;
    if (!h->extname_truncated)
        s->extlen = rtrim(h->extname, s->extlen);
    h->extname[s->extlen < sizeof h->extname ? s->extlen : sizeof h->extname - 1] = '\0';
}

/* One part of EXTNAME: the EXTNAME card's string, then those of the CONTINUE
 * cards that follow it.  As astropy joins them: each part right-trimmed and
 * one trailing '&' dropped, the whole right-trimmed; a lone EXTNAME keeps its
 * '&'.  A part that is not a string ends the run. */
static void extname_part(scan_state *s, const uint8_t *v, size_t n) {
    char seg[CARD];
    size_t len = 0;
    s->ext_run = 0;
    if (parse_string(v, n, seg, sizeof seg, &len)) {
        if (s->ext_parts) extname_done(s);
        return;
    }
    len = rtrim(seg, len < sizeof seg ? len : sizeof seg - 1);
    s->ext_amp = len > 0 && seg[len - 1] == '&';
    extname_append(s, seg, len - (size_t)s->ext_amp);
    s->ext_run = 1;
    s->ext_parts++;
}

/* One card of a header (not the first, not END). */
static void card(scan_state *s, const uint8_t *c) {
    ramps_hdu_info *h = s->h;
    const int image = h->kind == RAMPS_HDU_PRIMARY || h->kind == RAMPS_HDU_IMAGE;
    int t;
    if (s->ext_run) {
        if (kw(c, "CONTINUE")) {
            extname_part(s, c + 8, CARD - 8);
            return;
        }
        extname_done(s);
    }
    switch (c[0]) {
    case 'N': {
        const int k = naxis_keyword(c);
        if (k == 0) {
            int_keyword(s, c, &s->naxis, &s->seen_naxis);
        } else if (k >= 1 && k <= RAMPS_FITS_MAX_AXES) {
            int64_t v = 0;
            int seen = (int)(s->seen_axes >> (k - 1) & 1); /* the last card counts */
            int_keyword(s, c, &v, &seen);
            s->seen_axes |= 1u << (k - 1);
            if (v < 0) bad_value(s, c, "a non-negative integer");
            h->naxis[k - 1] = (uint64_t)(v < 0 ? 0 : v);
        }
        break;
    }
    case 'B':
        if (kw(c, "BITPIX  ")) {
            int_keyword(s, c, &s->bitpix, &s->seen_bitpix);
        } else if (image && kw(c, "BSCALE  ") && !h->has_bscale) {
            h->has_bscale = 1;
            if (!value_of(c) || parse_real(value_of(c), VLEN, &h->bscale))
                bad_value(s, c, "a finite number");
        } else if (image && kw(c, "BZERO   ") && !h->has_bzero) {
            h->has_bzero = 1;
            if (!value_of(c) || parse_real(value_of(c), VLEN, &h->bzero))
                bad_value(s, c, "a finite number");
        } else if (image && kw(c, "BLANK   ") && !h->has_blank) {
            int seen = 0;
            h->has_blank = 1;
            int_keyword(s, c, &h->blank, &seen);
        }
        break;
    case 'P':
        if (kw(c, "PCOUNT  ")) int_keyword(s, c, &h->pcount, &s->seen_pcount);
        break;
    case 'G':
        if (kw(c, "GCOUNT  ")) {
            int_keyword(s, c, &h->gcount, &s->seen_gcount);
        } else if (kw(c, "GROUPS  ") && !s->seen_groups) {
            s->seen_groups = 1;
            if (value_of(c) && !parse_logical(value_of(c), VLEN, &t)) h->groups = t;
        }
        break;
    case 'E':
        if (kw(c, "EXTNAME ") && !s->seen_extname) {
            s->seen_extname = 1;
            if (value_of(c)) extname_part(s, value_of(c), VLEN);
        } else if (kw(c, "EXTVER  ") && !s->seen_extver) {
            int64_t v;
            s->seen_extver = 1; /* lenient: a non-integer EXTVER reads as 1 */
            if (value_of(c) && !parse_int(value_of(c), VLEN, &v) && v >= INT32_MIN &&
                v <= INT32_MAX)
                h->extver = (int32_t)v;
        }
        break;
    case 'Z':
        if (kw(c, "ZIMAGE  ") && !s->seen_zimage) {
            s->seen_zimage = 1;
            if (value_of(c) && !parse_logical(value_of(c), VLEN, &t)) h->zimage = t;
        }
        break;
    default: break;
    }
}

/* The first card: SIMPLE = T at file offset 0, XTENSION = 'name' elsewhere. */
static void first_card(scan_state *s, const uint8_t *c, int primary) {
    ramps_hdu_info *h = s->h;
    char key[9], val[41];
    describe(c, key, val);
    if (primary) {
        int t;
        if (!kw(c, "SIMPLE  "))
            fail_as(s, RAMPS_FITS_NOT_HDU, s->card_offset,
                    "not a FITS file: the first card is not SIMPLE = T");
        else if (!value_of(c) || parse_logical(value_of(c), VLEN, &t))
            bad_value(s, c, "T or F");
        h->kind = t ? RAMPS_HDU_PRIMARY : RAMPS_HDU_NONSTANDARD; /* F: as astropy reads it */
        return;
    }
    if (!kw(c, "XTENSION")) {
        fail_as(s, RAMPS_FITS_NOT_HDU, s->card_offset,
                "an HDU must start with an XTENSION card, found '%s'", key);
        return;
    }
    char x[72];
    size_t len = 0;
    if (!value_of(c) || parse_string(value_of(c), VLEN, x, sizeof x, &len)) {
        bad_value(s, c, "a quoted string");
        return;
    }
    len = rtrim(x, len < sizeof x ? len : sizeof x - 1);
    x[len] = '\0';
    h->kind = !strcmp(x, "IMAGE")                                ? RAMPS_HDU_IMAGE
              : !strcmp(x, "BINTABLE") || !strcmp(x, "A3DTABLE") ? RAMPS_HDU_BINTABLE
              : !strcmp(x, "TABLE")                              ? RAMPS_HDU_TABLE
                                                                 : RAMPS_HDU_OTHER;
}

static int mul_ok(uint64_t a, uint64_t b, uint64_t *r) {
    if (b && a > UINT64_MAX / b) return 0;
    *r = a * b;
    return 1;
}

/* Structural checks and the data size, after END: 0 ok, -1 malformed. */
static int finish(scan_state *s) {
    ramps_hdu_info *h = s->h;
    const uint64_t at = h->header_offset;
    if (s->failed) return -1;
    if (h->kind == RAMPS_HDU_NONSTANDARD) { /* SIMPLE = F: no structure to check */
        h->naxis_count = 0;
        h->groups = h->zimage = 0;
        h->data_size = 0;
        return 0;
    }
    if (!s->seen_bitpix) return fail(s, at, "missing BITPIX keyword");
    if (s->bitpix != 8 && s->bitpix != 16 && s->bitpix != 32 && s->bitpix != 64 &&
        s->bitpix != -32 && s->bitpix != -64)
        return fail(s, at, "BITPIX = %lld is not one of 8, 16, 32, 64, -32, -64",
                    (long long)s->bitpix);
    h->bitpix = (int32_t)s->bitpix;
    if (!s->seen_naxis) return fail(s, at, "missing NAXIS keyword");
    if (s->naxis < 0 || s->naxis > 999)
        return fail(s, at, "NAXIS = %lld is not in 0..999", (long long)s->naxis);
    if (s->naxis > RAMPS_FITS_MAX_AXES)
        return fail(s, at, "NAXIS = %lld: more than %d axes are not supported",
                    (long long)s->naxis, RAMPS_FITS_MAX_AXES);
    h->naxis_count = (int32_t)s->naxis;
    for (int k = 0; k < h->naxis_count; k++)
        if (!(s->seen_axes >> k & 1))
            return fail(s, at, "missing NAXIS%d keyword (NAXIS = %d)", k + 1,
                        h->naxis_count);
    for (int k = h->naxis_count; k < RAMPS_FITS_MAX_AXES; k++) h->naxis[k] = 0;
    if (h->pcount < 0) return fail(s, at, "PCOUNT = %lld is negative", (long long)h->pcount);
    if (h->gcount < 0) return fail(s, at, "GCOUNT = %lld is negative", (long long)h->gcount);
    h->groups = h->groups && h->kind == RAMPS_HDU_PRIMARY && h->naxis_count >= 1 &&
                h->naxis[0] == 0;
    /* astropy's rule: no data when NAXIS = 0; random groups skip NAXIS1 and
     * hold none with NAXIS = 1; otherwise |BITPIX|/8 * GCOUNT * (PCOUNT + prod). */
    uint64_t size = 0;
    if (h->naxis_count > 0 && !(h->groups && h->naxis_count == 1)) {
        uint64_t prod = 1;
        for (int k = h->groups ? 1 : 0; k < h->naxis_count; k++)
            if (!mul_ok(prod, h->naxis[k], &prod)) goto overflow;
        if (prod > UINT64_MAX - (uint64_t)h->pcount) goto overflow;
        if (!mul_ok(prod + (uint64_t)h->pcount, (uint64_t)h->gcount, &size) ||
            !mul_ok(size, (uint64_t)(h->bitpix < 0 ? -h->bitpix : h->bitpix) / 8, &size))
            goto overflow;
    }
    if (size > (uint64_t)INT64_MAX - BLOCK || h->data_offset > (uint64_t)INT64_MAX - BLOCK - size)
        goto overflow;
    h->data_size = size;
    return 0;
overflow:
    return fail(s, at, "the data size overflows 63 bits (NAXISn, PCOUNT or GCOUNT too large)");
}

/* The bytes run out at card offset i of the header at buf[pos..]: 0 (more
 * bytes needed, even when a problem is already known: the rest of the header
 * may name the extension) or, at the end of the file, -1 with the reason. */
static int incomplete(scan_state *s, const uint8_t *buf, size_t n, size_t pos, size_t i,
                      int at_eof) {
    if (!at_eof) return 0;
    if (s->failed) return -1;
    const int primary = s->h->header_offset == 0;
    if (i == 0) { /* not even one card: does what there is start like a header? */
        const char *want = primary ? "SIMPLE  =" : "XTENSION";
        const size_t k = n - pos < strlen(want) ? n - pos : strlen(want);
        if (memcmp(buf + pos, want, k) != 0)
            return fail_as(s, RAMPS_FITS_NOT_HDU, s->h->header_offset,
                           primary ? "not a FITS file: it does not start with SIMPLE = T"
                                   : "%zu bytes after the last HDU are not an HDU",
                           n - pos);
    }
    return fail_as(s, RAMPS_FITS_TRUNCATED, s->h->header_offset + i,
                   "the file ends inside a header, before its END card (truncated, or "
                   "END missing)");
}

/* Parse the header at buf[pos..]: 1 complete, 0 incomplete (more bytes
 * needed), -1 malformed (err filled). */
static int scan_header(const uint8_t *buf, size_t n, size_t pos, uint64_t base,
                       int at_eof, ramps_hdu_info *h, ramps_fits_error *err) {
    scan_state s;
    memset(&s, 0, sizeof s);
    memset(h, 0, sizeof *h);
    s.h = h;
    s.err = err;
    h->header_offset = base + pos;
    h->extver = 1;
    h->gcount = 1;
    h->bscale = 1.0;
    h->kind = RAMPS_HDU_OTHER;
    const size_t limit = (size_t)RAMPS_FITS_MAX_HEADER_BLOCKS * BLOCK;
    for (size_t i = 0;; i += CARD) {
        if (i >= limit) {
            fail(&s, h->header_offset, "no END card in the first %d header blocks",
                 RAMPS_FITS_MAX_HEADER_BLOCKS);
            return -1;
        }
        if (n - pos < CARD || i > n - pos - CARD) return incomplete(&s, buf, n, pos, i, at_eof);
        const uint8_t *c = buf + pos + i;
        s.card_offset = h->header_offset + i;
        unsigned bad = 0;
        for (int j = 8; j < CARD; j++) bad += (uint8_t)(c[j] - 0x20) > 0x5e;
        for (int j = 0; j < 8; j++)
            if ((uint8_t)(c[j] - 0x20) > 0x5e) {
                if (i == 0) first_card(&s, c, h->header_offset == 0);
                fail(&s, s.card_offset,
                     "byte 0x%02x in column %d of a header card is not ASCII text "
                     "(binary data where a card should be: missing END card?)",
                     c[j], j + 1);
                return -1;
            }
        h->nonascii += (int32_t)bad;
        if (i == 0) {
            first_card(&s, c, h->header_offset == 0);
            if (s.failed) return -1; /* nothing else makes sense without it */
            continue;
        }
        if (c[0] == 'E' && kw(c, "END     ")) {
            if (s.ext_run) extname_done(&s);
            const uint64_t cards = i / CARD + 1;
            h->data_offset = h->header_offset + (cards * CARD + BLOCK - 1) / BLOCK * BLOCK;
            return finish(&s) ? -1 : 1;
        }
        card(&s, c);
    }
}

int ramps_fits_scan(const uint8_t *buf, size_t n, uint64_t base_offset, int at_eof,
                    ramps_hdu_info *out, size_t max_hdus, size_t *n_found,
                    uint64_t *next_offset, ramps_fits_error *err) {
    if (!n_found || !next_offset || (n && !buf) || (max_hdus && !out)) return RAMPS_EINVAL;
    if ((uint64_t)n > (uint64_t)INT64_MAX || base_offset > (uint64_t)INT64_MAX - n)
        return RAMPS_EINVAL;
    if (err) {
        err->offset = 0;
        err->problem = 0;
        err->message[0] = '\0';
    }
    *n_found = 0;
    uint64_t pos = 0; /* relative to buf */
    while (*n_found < max_hdus && pos < n) {
        ramps_hdu_info *h = out + *n_found;
        const int r = scan_header(buf, n, (size_t)pos, base_offset, at_eof, h, err);
        if (r < 0) {
            *next_offset = base_offset + pos;
            return RAMPS_EFORMAT;
        }
        if (r == 0) break;
        const uint64_t pad = (BLOCK - h->data_size % BLOCK) % BLOCK;
        pos = h->data_offset + h->data_size + pad - base_offset; /* < 2**63: checked */
        (*n_found)++;
        if (h->kind == RAMPS_HDU_NONSTANDARD) break; /* its data: the rest of the file */
    }
    *next_offset = base_offset + pos;
    return RAMPS_OK;
}
