"""Seed corpora for the fuzz targets, from small FITS files written by astropy.

    python tests/fuzz/make_seeds.py OUT      # writes OUT/<target>/<seed> files

Each seed is a target's parameter bytes (the layout its harness reads first,
see fuzz_common.h and the comment at the top of each fuzz_*.c) followed by real
bytes: whole FITS files for the scanner, and the stored data, headers and
checksummed HDUs of those files for the kernels.  Nothing here is committed:
.ci/run and tests/fuzz/run.sh write the seeds into a temporary folder.
"""
from __future__ import annotations

import io
import struct
import sys
from pathlib import Path

import numpy as np
from astropy.io import fits

RNG = np.random.default_rng(20240613)


def fits_files() -> dict[str, bytes]:
    """Small FITS files of the layouts ramps reads, as bytes."""
    files = {}

    def save(name, hdul, **kw):
        buf = io.BytesIO()
        hdul.writeto(buf, **kw)
        files[name] = buf.getvalue()

    sci = RNG.integers(0, 65535, size=(2, 3, 4, 5), dtype=np.uint16)  # uncal-like
    gdq = RNG.choice(np.array([0, 1, 2, 4, 6, 32], np.uint8), size=(2, 3, 4, 5))
    uncal = fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(sci, name="SCI"),
                          fits.ImageHDU(gdq, name="GROUPDQ"),
                          fits.ImageHDU(np.zeros((4, 5), np.uint32), name="PIXELDQ")])
    save("uncal", uncal)
    save("uncal_checksum", uncal, checksum=True)
    var = [RNG.random((4, 5), dtype=np.float32) for _ in range(3)]
    cal = fits.HDUList([fits.PrimaryHDU()] + [
        fits.ImageHDU(v, name=n) for v, n in zip(var, ("VAR_POISSON", "VAR_RNOISE", "VAR_FLAT"))])
    save("cal_variances", cal)
    scaled = fits.ImageHDU(RNG.integers(-300, 300, (6, 7)).astype(np.int16), name="SCI")
    scaled.header["BSCALE"], scaled.header["BZERO"] = 0.5, 12.0
    save("scaled", fits.HDUList([fits.PrimaryHDU(), scaled]))
    table = fits.BinTableHDU.from_columns(
        [fits.Column("integration_number", "J", array=np.arange(3)),
         fits.Column("int_mid_MJD_UTC", "D", array=np.linspace(6e4, 6e4 + 1, 3))],
        name="INT_TIMES")
    save("table", fits.HDUList([fits.PrimaryHDU(np.arange(6, dtype=np.float64)), table]))
    save("f16_f64", fits.HDUList([fits.PrimaryHDU(),
                                  fits.ImageHDU(RNG.random(9).astype(np.float64), name="F64"),
                                  fits.ImageHDU(np.arange(-5, 5, dtype=np.int64), name="I64")]))
    return files


def data_of(raw: bytes) -> list[bytes]:
    """The data bytes of each HDU with data, as stored (big-endian)."""
    out = []
    with fits.open(io.BytesIO(raw)) as hdul:
        for hdu in hdul:
            info = hdu.fileinfo()
            size = hdu._data_size  # unpadded stored size
            if size:
                out.append(raw[info["datLoc"]:info["datLoc"] + size])
    return out


def hdus_of(raw: bytes) -> list[bytes]:
    """Each HDU's header and padded data, as stored."""
    with fits.open(io.BytesIO(raw)) as hdul:
        starts = [h.fileinfo()["hdrLoc"] for h in hdul]
    return [raw[a:b] for a, b in zip(starts, starts[1:] + [len(raw)])]


def seeds() -> dict[str, dict[str, bytes]]:
    files = fits_files()
    data = {name: data_of(raw) for name, raw in files.items()}
    sci, gdq = data["uncal"][0], data["uncal"][1]
    variances = b"".join(data["cal_variances"])
    out: dict[str, dict[str, bytes]] = {t: {} for t in (
        "fits_scan", "decode_typed", "codec", "transcode", "checksum", "dq", "err", "lz4",
        "lz4_chunks")}
    out["fits_scan"] = dict(files)
    out["fits_scan"]["uncal_headers"] = files["uncal"][:2880 * 2]
    # decode_typed: dtype, order, scale, offset (fdp_real: byte < 9 picks a
    # special value: 0 -> 1.0, 1 -> 0.0, 2 -> 32768.0, 9..15 -> 8 raw bytes)
    out["decode_typed"]["u16_bzero"] = bytes([3, 0, 0, 2, 1, 0]) + sci
    out["decode_typed"]["u16_bzero_threads"] = bytes([3, 0, 0, 2, 3, 1]) + sci
    out["decode_typed"]["scaled_i16"] = (bytes([3, 0, 9]) + struct.pack("<d", 0.5) +
                                         bytes([9]) + struct.pack("<d", 12.0) + bytes([2, 3]) +
                                         data["scaled"][0])
    out["decode_typed"]["f32_be"] = bytes([10, 0, 0, 1, 2, 0]) + variances
    out["decode_typed"]["f64_be"] = bytes([11, 0, 0, 1, 1, 5]) + data["f16_f64"][0]
    out["decode_typed"]["i64_le"] = bytes([7, 1, 0, 1, 1, 0]) + np.arange(-3, 9).tobytes()
    out["decode_typed"]["f16_le"] = bytes([9, 1, 6, 1, 2, 1]) + RNG.random(40).astype("<f2").tobytes()
    # codec: pick, raw int32, bscale, bzero, is64, threads, misalign, xor width, order, mask
    tail = bytes([1, 0]) + struct.pack("<Q", 0x8000)
    floats = RNG.normal(0, 3e4, 64).astype(np.float32).tobytes()
    out["codec"]["bitpix16_bzero"] = bytes([1]) + bytes(4) + bytes([0, 2, 0, 1, 0]) + tail + sci
    out["codec"]["bitpix8"] = bytes([0]) + bytes(4) + bytes([0, 1, 0, 2, 3]) + tail + gdq
    out["codec"]["bitpix32_scaled"] = (bytes([2]) + bytes(4) + bytes([6, 4, 0, 1, 1]) + tail +
                                       floats)
    out["codec"]["bitpix_m32"] = bytes([4]) + bytes(4) + bytes([0, 1, 0, 1, 0]) + tail + variances
    out["codec"]["bitpix64_f64"] = bytes([3]) + bytes(4) + bytes([0, 1, 1, 2, 0]) + tail + data["f16_f64"][1]
    out["codec"]["bad_bitpix"] = bytes([6]) + struct.pack("<i", 12) + bytes([0, 1, 0, 1, 0]) + tail + sci
    # transcode: threads, input and output misalignment
    out["transcode"]["uncal_sci"] = bytes([0, 0, 0]) + sci
    out["transcode"]["uncal_sci_split"] = bytes([3, 1, 3]) + sci * 3
    # checksum: initial, split point, threads, misalignment; whole HDUs
    for name in ("uncal_checksum", "table"):
        for i, hdu in enumerate(hdus_of(files[name])):
            out["checksum"][f"{name}_hdu{i}"] = struct.pack("<II", 0, 2880) + bytes([1, 0]) + hdu
    out["checksum"]["odd_length"] = struct.pack("<II", 0xFFFFFFFF, 7) + bytes([2, 3]) + sci[:37]
    # dq: mode (small), nints, ngroups, npix, mask, and_bits, threads; groupdq, pixeldq
    out["dq"]["uncal_groupdq"] = (bytes([0, 2, 3]) + struct.pack("<H", 20) + bytes([0xFF]) +
                                  struct.pack("<I", 1) + bytes([1]) + gdq + bytes(80))
    out["dq"]["uncal_groupdq_split"] = (bytes([1, 2, 3]) + struct.pack("<H", 20) + bytes([0x7F]) +
                                        struct.pack("<I", 3) + bytes([3]) + gdq + bytes(80))
    out["dq"]["huge_shape"] = bytes([3]) + struct.pack("<QQQ", 2**62, 4, 3) + bytes(6)
    # err: variant, three, threads, misalignment; the variances
    for variant in range(4):
        body = variances if variant < 2 else np.frombuffer(variances, ">f4").astype("<f2").tobytes()
        if variant == 0:
            body = np.frombuffer(variances, ">f4").astype("=f4").tobytes()
        out["err"][f"variant{variant}_3"] = bytes([variant, 1, 1 + variant % 3, variant]) + body
        out["err"][f"variant{variant}_2"] = bytes([variant, 0, 0, 0]) + body[:len(body) * 2 // 3]
    # lz4_chunks: capacity, conversion, chunk size, threads; raw data (the
    # harness compresses it) and, when python-lz4 is installed, asdf lz4 chunks
    # (4-byte big-endian size, 4-byte little-endian raw size, the LZ4 block);
    # lz4 (fuzz_lz4.c) takes the same bytes without parameters
    out["lz4_chunks"]["uncal_sci"] = struct.pack("<HBHB", 512, 0, 64, 1) + sci
    out["lz4_chunks"]["zeros"] = struct.pack("<HBHB", 4096, 1, 1000, 2) + bytes(3000)
    out["lz4"]["uncal_sci"] = sci
    try:
        import lz4.block  # noqa: PLC0415 - optional
    except ImportError:
        return out
    for name, raw in (("sci", sci), ("gdq", gdq), ("zeros", bytes(3000))):
        body = b"".join(struct.pack(">I", len(c) + 4) + struct.pack("<I", len(raw[i:i + 64])) + c
                        for i in range(0, len(raw), 64)
                        for c in [lz4.block.compress(raw[i:i + 64], store_size=False)])
        out["lz4_chunks"][f"asdf_{name}"] = struct.pack("<HBHB", 512, 2, 64, 1) + body
        out["lz4"][f"asdf_{name}"] = body
        out["lz4"][f"block_{name}"] = lz4.block.compress(raw, store_size=False)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    root = Path(argv[1])
    count = 0
    for target, items in seeds().items():
        (root / target).mkdir(parents=True, exist_ok=True)
        for name, blob in items.items():
            (root / target / name).write_bytes(blob)
            count += 1
    print(f"make_seeds.py: {count} seeds in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
