"""A corpus of products written through ramps' public API only, and their digests.

Run as a script (``python tests/corpus_products.py OUT.json``) it writes the corpus into a
temporary folder and records, per file, the SHA-256 of its bytes (write times masked) and a content digest
read back by astropy / asdf (independent readers).  ``test_corpus_bytes.py`` writes the
same corpus with the code under test and compares: byte for byte when the libraries
that put their versions into files are the recorded ones, by content otherwise.  The
digests in ``data/corpus_digests.json`` were recorded before the redesign of issue 19
moved every module, so that move (and any later one) must leave every byte in place.

Every call goes through public names (``ramps.write``, ``ramps.convert``'s
``convert_main``, ``ramps.save`` ...), never an internal module path, so the
generator runs on the tree before and after a move."""

from __future__ import annotations

import hashlib
import json
import re
import sys
import warnings
from pathlib import Path

import numpy as np

import ramps

#: libraries whose version strings end up inside the files ramps writes.
VERSIONED = ("asdf", "astropy", "numpy", "stdatamodels", "roman_datamodels", "ramps")

UNCAL = "jw02734002001_04101_00001{seg}_nrcalong_uncal.fits"
PRODUCT = "jw01234001001_01101_00001_nrcalong_{}.fits"
ROMAN = "r0000101001001001001_0001_wfi01_{}.asdf"
FIXED_DATE = "2026-01-01T00:00:00.000"


def versions() -> dict[str, str]:
    """The installed version of each library in VERSIONED."""
    from importlib import metadata

    out = {"ramps": ramps.__version__}  # the distribution is ramps-io
    for name in VERSIONED[:-1]:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = ""
    return out


def _meta(**exposure) -> dict:
    return {"meta": {"date": FIXED_DATE,
                     "instrument": {"name": "NIRCAM", "detector": "NRCALONG"},
                     "exposure": {"type": "NRC_TSGRISM", **exposure}}}


def write_corpus(folder: Path) -> list[Path]:
    """Write every product of the corpus into ``folder``; return their paths."""
    from ramps.convert.cli import convert_main

    rng = np.random.default_rng(2026)
    counts = rng.integers(0, 65536, (6, 3, 16, 24), dtype=np.uint16)
    start = 1
    for k, n in enumerate((2, 2, 2), 1):
        header = {"EXSEGNUM": k, "EXSEGTOT": 3, "INTSTART": start, "INTEND": start + n - 1}
        ramps.write(folder / UNCAL.format(seg=f"-seg{k:03d}"), "uncal",
                    {"SCI": counts[start - 1:start - 1 + n]}, header=header,
                    meta=_meta(nints=n, ngroups=3))
        start += n
    shape = (2, 3, 16, 24)
    f3 = rng.random((2, 16, 24), dtype=np.float32)
    meta = _meta(nints=2, ngroups=3)
    ramps.write(folder / PRODUCT.format("ramp"), "ramp", {
        "SCI": rng.random(shape, dtype=np.float32),
        "PIXELDQ": rng.integers(0, 4, (16, 24), dtype=np.uint32),
        "GROUPDQ": rng.integers(0, 8, shape, dtype=np.uint8)}, meta=meta)
    variances = {"VAR_POISSON": f3, "VAR_RNOISE": f3 * 2}
    ramps.write(folder / PRODUCT.format("rateints"), "rateints", {
        "SCI": f3, "ERR": f3, "DQ": np.zeros(f3.shape, np.uint32), **variances}, meta=meta)
    ramps.write(folder / PRODUCT.format("calints"), "calints", {
        "SCI": f3, "ERR": f3, "DQ": np.ones(f3.shape, np.uint32), **variances,
        "VAR_FLAT": f3 / 3}, meta=meta, checksum=True)
    ramps.write(folder / PRODUCT.format("rate"), "rate", {
        "SCI": f3[0], "ERR": f3[0], "DQ": np.zeros(f3[0].shape, np.uint32),
        "VAR_POISSON": f3[0], "VAR_RNOISE": f3[0]}, meta=meta)
    out = folder / "out"
    uncals = sorted(str(p) for p in folder.glob(UNCAL.format(seg="-seg*")))
    runs = [
        [*uncals, "-o", str(out / "per_segment")],
        [*uncals, "--merge", "-o", str(out / "merged")],
        [uncals[0], "--no-err", "-o", str(out / "no_err")],
        [uncals[0], "--err", "-o", str(out / "err_zeros")],
        [str(folder / PRODUCT.format("ramp")), "--combine-dq", "--dq-rules", "stcal",
         "--into", str(folder / PRODUCT.format("rateints")), "-o", str(out / "dq")],
        [str(folder / PRODUCT.format("calints")), "--recompute-err", "-o", str(out / "err")],
        [str(folder / PRODUCT.format("rate")), "--to", "asdf", "-o", str(out / "asdf")],
        [str(folder / PRODUCT.format("ramp")), "--to", "asdf", "--compression", "lz4",
         "-o", str(out / "asdf_lz4")],
    ]
    for argv in runs:
        code = convert_main([*argv, "--quiet", "--threads", "2"])
        if code != 0:
            raise RuntimeError(f"ramps.convert {argv} exited {code}")
    ramps.merge_segments(uncals, folder / "merged_uncal.fits")
    _roman(folder, rng)
    _models(folder, rng)
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".fits", ".asdf")
                  and p.parent.name != "reference")  # reference/: roman_datamodels' input


def _roman(folder: Path, rng: np.random.Generator) -> None:
    """Roman files through ramps.write and the level 1 -> ramp conversion."""
    from ramps.convert.cli import convert_main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import roman_datamodels.datamodels as rdm

        l1 = rdm.ScienceRawModel.create_fake_data(shape=(3, 24, 20))
        l1.data = rng.integers(0, 65535, l1.data.shape, dtype=np.uint16)
        l1.meta.filename = ROMAN.format("uncal")
    raw = folder / "reference"
    raw.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        l1.save(str(raw / ROMAN.format("uncal")))
        with ramps.open(raw / ROMAN.format("uncal")) as p:
            meta = p.meta
            ramps.write(folder / ROMAN.format("uncal"), "wfi_science_raw",
                        {name: p.read(name) for name in p.names}, meta=meta,
                        compression="lz4")
    if convert_main([str(folder / ROMAN.format("uncal")), "--quiet", "-o", str(folder / "out")]):
        raise RuntimeError("Roman level 1 -> ramp failed")


def _models(folder: Path, rng: np.random.Generator) -> None:
    """ramps.save of stdatamodels and roman_datamodels models built in memory."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from stdatamodels.jwst import datamodels as dm
        import roman_datamodels.datamodels as rdm

        ramp = dm.RampModel(data=rng.random((2, 3, 8, 10), dtype=np.float32))
        ramp.meta.instrument.name = "NIRCAM"
        ramp.meta.date = FIXED_DATE
        ramp.pixeldq = rng.integers(0, 4, (8, 10), dtype=np.uint32)
        ramps.save(ramp, folder / PRODUCT.format("saved_ramp"))
        mos = dm.MultiSlitModel()
        mos.meta.date = FIXED_DATE
        for k in range(3):
            mos.slits.append(dm.SlitModel(data=rng.random((5, 7 + k), dtype=np.float32)))
            mos.slits[k].name = f"S{k}"
        ramps.save(mos, folder / PRODUCT.format("saved_cal"))
        image = rdm.ImageModel.create_fake_data(shape=(12, 10))
        image.data = rng.random((12, 10), dtype=np.float32)
        image.meta.filename = ROMAN.format("saved_cal")
        ramps.save(image, folder / ROMAN.format("saved_cal"))


def content_digest(path: Path) -> str:
    """A digest of what astropy / asdf read from ``path``: every array's bytes, every
    header card but dates and checksums, the ASDF tree without its software history."""
    h = hashlib.sha256()
    if path.suffix == ".fits":
        from astropy.io import fits

        with fits.open(path, memmap=False) as hdul:
            for hdu in hdul:
                for card in hdu.header.cards:
                    if card.keyword not in ("DATE", "CHECKSUM", "DATASUM"):
                        h.update(str(card.keyword).encode() + repr(card.value).encode())
                if hdu.data is not None and getattr(hdu.data, "dtype", None) is not None \
                        and hdu.name != "ASDF":
                    h.update(np.ascontiguousarray(hdu.data).tobytes())
        return h.hexdigest()
    import asdf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with asdf.open(path, lazy_load=False, memmap=False, _force_raw_types=True) as af:
            def walk(node, key=""):
                if key in ("history", "asdf_library", "date", "file_date"):
                    return
                if isinstance(node, dict):
                    for k in sorted(node, key=str):
                        walk(node[k], str(k))
                elif isinstance(node, (list, tuple)):
                    for v in node:
                        walk(v)
                elif isinstance(node, np.ndarray):
                    h.update(np.ascontiguousarray(node).tobytes())
                else:
                    h.update(repr(node).encode())
            walk(af.tree)
    return h.hexdigest()


_STAMPS = [
    (re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?"), None),   # write times
    (re.compile(rb"_fits_hash: [0-9a-f]{64}"), None),                       # hash of the above
    (re.compile(rb"(CHECKSUM= |DATASUM = )'[^']*' *"), None),              # sums of the above
]


def masked_bytes(path: Path) -> bytes:
    """The file's bytes with the write time and what depends on it (the ASDF extension's
    ``_fits_hash``, CHECKSUM/DATASUM values) overwritten by the same number of X: the
    layout does not move, every other byte is compared."""
    data = path.read_bytes()
    for pattern, _ in _STAMPS:
        data = pattern.sub(lambda m: b"X" * len(m.group(0)), data)
    return data


def digests(folder: Path) -> dict[str, dict[str, str]]:
    """{relative path: {"sha256": ..., "content": ...}} of the corpus in ``folder``."""
    out = {}
    for path in write_corpus(folder):
        out[path.relative_to(folder).as_posix()] = {
            "sha256": hashlib.sha256(masked_bytes(path)).hexdigest(),
            "content": content_digest(path)}
    return out


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        record = {"versions": versions(), "files": digests(Path(tmp))}
    Path(sys.argv[1]).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
