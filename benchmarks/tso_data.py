"""Realistic TSO benchmark data: a NIRCam grism TSO uncal segment with its ramp and
rateints companions, and NIRSpec MOS cal files of many HDUs.

Written with ``ramps.write`` (streamed, so the generator holds one integration at
a time), into ``$RAMPS_BENCH_DIR`` or ``<tempdir>/ramps-bench-<size>``, and reused
between runs: a ``manifest.json`` written last records what is there, and data
are regenerated only when it is missing or describes other parameters.

Run it alone to (re)create the data and print where it is::

    python benchmarks/tso_data.py [small|large] [--force]

Sizes (``RAMPS_BENCH_SIZE``):

* ``small``: 5 integrations of (10, 256, 2048), a 52 MB uncal segment;
* ``large``: the real segment, as many integrations as fit under 2 GB
  (``2048 * 256 * 10 * 2`` = 10.5 MB each: 190 integrations, 1.99 GB).

Files (``jw01366004001_04101_00001-seg001_nrcalong_<kind>.fits``):

* ``uncal``: SCI uint16 (stored int16 + BZERO 32768) ramps: per-pixel bias,
  a spectral trace that saturates near the end of the ramp, read noise;
  GROUP and INT_TIMES tables; CHECKSUM/DATASUM in every HDU.
* ``ramp``: SCI float32 (the same counts), PIXELDQ uint32 (2 % flagged),
  GROUPDQ uint8 (SATURATED from the group where the counts reach 62,000,
  sparse JUMP_DET and DO_NOT_USE), no ERR (the stdatamodels >= 3 layout),
  GROUP and INT_TIMES.
* ``rateints``: SCI, ERR, DQ, VAR_POISSON, VAR_RNOISE of (nints, 256, 2048),
  INT_TIMES.
* ``mos_cal.fits`` (300 slits x SCI, DQ, ERR, WAVELENGTH, VAR_POISSON,
  VAR_RNOISE, VAR_FLAT of 25 x 341: 2,102 HDUs) and ``mos<N>_cal.fits``, the
  same with few slits for the slow stdatamodels routes in small mode.
* ``..._uncal47.fits`` (large mode, :func:`ensure_mid_uncal`, made on first use
  by the data-model benchmarks, kept apart from the manifest): the first 47
  integrations of the uncal, 493 MB, the size the data-model issue quotes.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Bump when the generated files change, so stale data are rebuilt.
VERSION = 3

NGROUPS, NROWS, NCOLS = 10, 256, 2048
#: JWST keeps a segment file under 2 GB (ramps.products.exposure.DEFAULT_MAX_SEGMENT_BYTES).
MAX_SEGMENT_BYTES = 2_000_000_000
SMALL_NINTS = 5
#: Room left in a segment for the headers, GROUP, INT_TIMES and ASDF extensions.
HEADROOM = 4 * 2880 * 64
MOS_SLITS = 300
MOS_NAMES = ("SCI", "DQ", "ERR", "WAVELENGTH", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT")
MOS_SHAPE = (25, 341)
#: Slits of the MOS file the slow stdatamodels routes use in small mode.
MOS_FEW = 20
#: Integrations of the ~500 MB uncal of the data-model benchmarks (large mode).
MID_NINTS = 47
BASE = "jw01366004001_04101_00001-seg001_nrcalong"
SAT_LEVEL = 62000


def bytes_per_int() -> int:
    return NGROUPS * NROWS * NCOLS * 2


def nints_for(size: str) -> int:
    if size == "small":
        return SMALL_NINTS
    return (MAX_SEGMENT_BYTES - HEADROOM) // bytes_per_int()


def data_dir(size: str) -> Path:
    root = os.environ.get("RAMPS_BENCH_DIR")
    base = Path(root) if root else Path(tempfile.gettempdir()) / f"ramps-bench-{size}"
    return base if not root else base / size


@dataclass(frozen=True)
class TsoData:
    """Where the benchmark files are, and their dimensions."""

    size: str
    folder: Path
    nints: int

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (self.nints, NGROUPS, NROWS, NCOLS)

    @property
    def n(self) -> int:
        return math.prod(self.shape)

    @property
    def plane(self) -> tuple[int, int, int]:  # one integration of the uncal/ramp
        return (NGROUPS, NROWS, NCOLS)

    @property
    def cube(self) -> tuple[int, int, int]:  # rateints / calints
        return (self.nints, NROWS, NCOLS)

    def path(self, kind: str) -> Path:
        return self.folder / f"{BASE}_{kind}.fits"

    @property
    def uncal(self) -> Path:
        return self.path("uncal")

    @property
    def ramp(self) -> Path:
        return self.path("ramp")

    @property
    def rateints(self) -> Path:
        return self.path("rateints")

    @property
    def uncal_mid(self) -> Path:
        """The :data:`MID_NINTS`-integration uncal (see :func:`ensure_mid_uncal`)."""
        return self.folder / f"{BASE}_uncal{MID_NINTS}.fits"

    @property
    def mos(self) -> Path:
        return self.folder / "mos_cal.fits"

    @property
    def mos_few(self) -> Path:
        return self.folder / f"mos{MOS_FEW}_cal.fits"

    @property
    def scratch(self) -> Path:
        """A folder for files the benchmarks write (emptied by them)."""
        p = self.folder / "scratch"
        p.mkdir(exist_ok=True)
        return p

    def as_dict(self) -> dict:
        return {"size": self.size, "folder": str(self.folder), "nints": self.nints,
                "uncal": str(self.uncal), "ramp": str(self.ramp),
                "rateints": str(self.rateints), "mos": str(self.mos),
                "mos_few": str(self.mos_few), "mos_slits": MOS_SLITS, "mos_few_slits": MOS_FEW,
                "shape": list(self.shape), "scratch": str(self.scratch)}


# --------------------------------------------------------------------------- contents


class _Scene:
    """Deterministic detector counts, one integration at a time."""

    def __init__(self, seed: int = 2734):
        rng = np.random.default_rng(seed)
        y = np.arange(NROWS, dtype=np.float32)[:, None]
        x = np.arange(NCOLS, dtype=np.float32)[None, :]
        self.bias = (11000 + rng.normal(0, 600, (NROWS, NCOLS))).astype(np.int32)
        # a grism trace around row 34 (SUBGRISM256), brighter towards the blue end
        trace = np.exp(-0.5 * ((y - 34) / 3.0) ** 2) * (0.4 + 0.6 * np.exp(-x / 1500))
        self.flux = (3 + 6000 * trace + rng.gamma(2.0, 2.0, (NROWS, NCOLS))).astype(np.int32)
        self.noise = rng.normal(0, 9, (NGROUPS + 16, NROWS, NCOLS)).astype(np.int16)
        self.jumps = rng.random((NROWS, NCOLS)) < 2e-4
        self.pixeldq = np.where(rng.random((NROWS, NCOLS)) < 0.02,
                                np.uint32(1 | 1 << 11), np.uint32(0)).astype(np.uint32)
        self.g = np.arange(1, NGROUPS + 1, dtype=np.int32)[:, None, None]

    def counts(self, i: int) -> np.ndarray:
        """uint16 (ngroups, nrows, ncols) of integration ``i``."""
        k = i % 16
        v = self.bias + self.g * self.flux
        v += self.noise[k:k + NGROUPS]
        v[NGROUPS // 2:, self.jumps] += 400 + 37 * (i % 7)  # cosmic-ray jumps half way
        np.clip(v, 0, 65535, out=v)
        return v.astype(np.uint16)

    def groupdq(self, i: int, counts: np.ndarray) -> np.ndarray:
        dq = np.where(counts >= SAT_LEVEL, np.uint8(2), np.uint8(0))
        dq[NGROUPS // 2, self.jumps] |= 4
        dq[:, :1, :] |= 1  # a DO_NOT_USE row, as the reference pixel rows are
        return dq

    def slope(self, i: int) -> np.ndarray:
        return (self.flux * (1 + 0.001 * math.sin(i / 9.0))).astype(np.float32) / 10.7


def _int_times(nints: int) -> np.ndarray:
    dt = np.dtype([("integration_number", ">i4"), ("int_start_MJD_UTC", ">f8"),
                   ("int_mid_MJD_UTC", ">f8"), ("int_end_MJD_UTC", ">f8"),
                   ("int_start_BJD_TDB", ">f8"), ("int_mid_BJD_TDB", ">f8"),
                   ("int_end_BJD_TDB", ">f8")])
    t = np.zeros(nints, dt)
    t["integration_number"] = np.arange(1, nints + 1)
    start = 60000.25 + np.arange(nints) * (NGROUPS * 1.34 / 86400)
    for col, off in (("start", 0.0), ("mid", 0.5), ("end", 1.0)):
        t[f"int_{col}_MJD_UTC"] = start + off * NGROUPS * 1.34 / 86400
        t[f"int_{col}_BJD_TDB"] = t[f"int_{col}_MJD_UTC"] + 0.0042
    return t


def _group_table(nints: int) -> np.ndarray:
    dt = np.dtype([("integration_number", ">i2"), ("group_number", ">i2"),
                   ("end_day", ">i2"), ("end_milliseconds", ">i4"),
                   ("end_submilliseconds", ">i2"), ("group_end_time", "S26"),
                   ("number_of_columns", ">i2"), ("number_of_rows", ">i2"),
                   ("number_of_gaps", ">i2"), ("completion_code_number", ">i2"),
                   ("completion_code_text", "S36"), ("bary_end_time", ">f8"),
                   ("helio_end_time", ">f8")])
    g = np.zeros(nints * NGROUPS, dt)
    g["integration_number"] = np.repeat(np.arange(1, nints + 1), NGROUPS)
    g["group_number"] = np.tile(np.arange(1, NGROUPS + 1), nints)
    g["end_day"] = 300
    g["end_milliseconds"] = np.arange(nints * NGROUPS) * 1340 % 86_400_000
    g["group_end_time"] = b"2026-10-27T06:00:00.000000"
    g["number_of_columns"], g["number_of_rows"] = NCOLS, NROWS
    g["completion_code_text"] = b"COMPLETE"
    g["bary_end_time"] = g["helio_end_time"] = 60000.25
    return g


def _meta(model: str, nints: int, **extra) -> dict:
    meta = {
        "model_type": model,
        "instrument": {"name": "NIRCAM", "detector": "NRCALONG", "channel": "LONG",
                       "module": "A", "filter": "F322W2", "pupil": "GRISMR"},
        "exposure": {"type": "NRC_TSGRISM", "nints": nints, "ngroups": NGROUPS, "nframes": 1,
                     "groupgap": 0, "readpatt": "BRIGHT1", "integration_start": 1,
                     "integration_end": nints, "segment_number": 1, "segment_total": 1,
                     "frame_time": 1.34, "group_time": 1.34},
        "subarray": {"name": "SUBGRISM256", "xstart": 1, "ystart": 1793, "xsize": NCOLS,
                     "ysize": NROWS, "fastaxis": -1, "slowaxis": 2},
        "observation": {"date": "2026-10-27", "time": "06:00:00.000", "program_number": "01366",
                        "observation_number": "004", "visit_number": "001"},
        "visit": {"tsovisit": True},
        "target": {"catalog_name": "WASP-39", "ra": 217.3266, "dec": -3.4445},
    }
    meta.update(extra)
    return {"meta": meta}


def _per_int_stream(shape, dtype, nints, make, bitpix, bzero=0.0):
    """A StreamedArray yielding FITS bytes one integration at a time."""
    from ramps import kernels
    from ramps.fits.write import StreamedArray

    def chunks():
        for i in range(nints):
            yield kernels.encode(make(i), bitpix, bzero=bzero)

    return StreamedArray(shape, dtype, chunks)


def _write_uncal(d: TsoData, scene: _Scene, path: Path | None = None,
                 nints: int | None = None) -> None:
    import ramps

    nints = nints or d.nints
    sci = _per_int_stream((nints,) + d.plane, np.uint16, nints, scene.counts, 16, 32768.0)
    ramps.write(path or d.uncal, "uncal", {"SCI": sci, "GROUP": _group_table(nints),
                                           "INT_TIMES": _int_times(nints)},
                meta=_meta("Level1bModel", nints), overwrite=True, checksum=True)


def ensure_mid_uncal(d: TsoData, log=print) -> Path:
    """The :data:`MID_NINTS`-integration uncal beside ``d``'s files (written as the uncal
    is, on first use; a ``.json`` beside it records what it holds)."""
    path, note = d.uncal_mid, d.uncal_mid.with_suffix(".json")
    want = {"version": VERSION, "shape": [MID_NINTS, *d.plane]}
    try:
        if path.exists() and json.loads(note.read_text()) == want:
            return path
    except (OSError, ValueError):
        pass
    note.unlink(missing_ok=True)
    t = time.perf_counter()
    _write_uncal(d, _Scene(), path, MID_NINTS)
    note.write_text(json.dumps(want))
    log(f"  uncal of {MID_NINTS} integrations ({path.stat().st_size / 1e6:.0f} MB): "
        f"{time.perf_counter() - t:.1f} s")
    return path


def _write_ramp(d: TsoData, scene: _Scene) -> None:
    import ramps
    from ramps import kernels
    from ramps.fits.write import StreamedArray

    def sci_chunks():
        for i in range(d.nints):
            yield kernels.transcode_u16_to_f32be(kernels.encode(scene.counts(i), 16,
                                                                bzero=32768.0))

    sci = StreamedArray(d.shape, np.float32, sci_chunks)
    gdq = _per_int_stream(d.shape, np.uint8, d.nints,
                          lambda i: scene.groupdq(i, scene.counts(i)), 8)
    ramps.write(d.ramp, "ramp", {"SCI": sci, "PIXELDQ": scene.pixeldq, "GROUPDQ": gdq,
                                 "GROUP": _group_table(d.nints),
                                 "INT_TIMES": _int_times(d.nints)},
                meta=_meta("RampModel", d.nints), overwrite=True)


def _write_rateints(d: TsoData, scene: _Scene) -> None:
    import ramps

    cube = d.cube
    rng = np.random.default_rng(5)
    rn2 = (rng.gamma(4.0, 40.0, (NROWS, NCOLS))).astype(np.float32)

    def vp(i):
        return np.abs(scene.slope(i)) / 13.4

    def err(i):
        return np.sqrt(vp(i) + rn2)

    def dq(i):
        out = scene.groupdq(i, scene.counts(i)).astype(np.uint32)
        return np.bitwise_or.reduce(out, axis=0) | scene.pixeldq

    arrays = {
        "SCI": _per_int_stream(cube, np.float32, d.nints, scene.slope, -32),
        "ERR": _per_int_stream(cube, np.float32, d.nints, err, -32),
        "DQ": _per_int_stream(cube, np.uint32, d.nints, dq, 32, 2.0 ** 31),
        "INT_TIMES": _int_times(d.nints),
        "VAR_POISSON": _per_int_stream(cube, np.float32, d.nints, vp, -32),
        "VAR_RNOISE": _per_int_stream(cube, np.float32, d.nints, lambda i: rn2, -32),
    }
    ramps.write(d.rateints, "rateints", arrays, meta=_meta("CubeModel", d.nints),
                overwrite=True)


def mos_arrays(nslits: int, seed: int = 1) -> tuple[dict, dict]:
    """{(EXTNAME, EXTVER): array} and the model tree of a NIRSpec MOS cal of ``nslits``."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for v in range(1, nslits + 1):
        for n in MOS_NAMES:
            if n == "DQ":
                arrays[(n, v)] = np.where(rng.random(MOS_SHAPE) < 0.05, np.uint32(1 << 19),
                                          np.uint32(0)).astype(np.uint32)
            elif n == "WAVELENGTH":
                arrays[(n, v)] = np.broadcast_to(
                    np.linspace(0.97, 1.89, MOS_SHAPE[1], dtype=np.float32), MOS_SHAPE).copy()
            else:
                arrays[(n, v)] = rng.standard_normal(MOS_SHAPE).astype(np.float32)
    slits = [{"name": f"S{i + 1}", "slitlet_id": i + 1, "source_id": 1000 + i,
              "xstart": 100 + 3 * i, "xsize": MOS_SHAPE[1], "ystart": 10 + i,
              "ysize": MOS_SHAPE[0], "source_xpos": 0.01 * (i % 50) - 0.25,
              "source_ypos": 0.1, "shutter_state": "x1x", "quadrant": 1 + i % 4}
             for i in range(nslits)]
    meta = {"meta": {
        "model_type": "MultiSlitModel",
        "instrument": {"name": "NIRSPEC", "detector": "NRS1", "filter": "F100LP",
                       "grating": "G140M"},
        "exposure": {"type": "NRS_MSASPEC", "nints": 1, "ngroups": 20},
        "observation": {"date": "2026-10-27", "time": "06:00:00.000"},
    }, "slits": slits}
    return arrays, meta


def _write_mos(path: Path, nslits: int) -> None:
    import ramps

    arrays, meta = mos_arrays(nslits)
    ramps.write(path, "cal", arrays, meta=meta, overwrite=True)


# --------------------------------------------------------------------------- reuse


def _wanted(d: TsoData) -> dict:
    return {"version": VERSION, "size": d.size, "shape": list(d.shape), "mos_slits": MOS_SLITS,
            "mos_few": MOS_FEW, "mos_shape": list(MOS_SHAPE)}


def _stdatamodels_check(d: TsoData) -> str:
    """Open the files in stdatamodels (a fresh process: its import is slow) without
    reading the big arrays; returns '' or the problem.  The 300-slit MOS file is
    only counted with astropy here: stdatamodels takes 30 s or more to open it."""
    code = (
        "import sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "from stdatamodels.jwst import datamodels as dm\n"
        "from astropy.io import fits\n"
        "want = dict(uncal='Level1bModel', ramp='RampModel', rateints='CubeModel', "
        "mos_few='MultiSlitModel')\n"
        "for kind, path in zip(want, sys.argv[1:]):\n"
        "    with dm.open(path) as m:\n"
        "        assert type(m).__name__ == want[kind], (path, type(m).__name__)\n"
        "        if kind.startswith('mos'):\n"
        "            assert len(m.slits) > 0 and m.slits[0].data.shape == (25, 341)\n"
        "        else:\n"
        f"            assert m.meta.exposure.nints == {d.nints}, path\n"
        "with fits.open(sys.argv[-1]) as hdul:\n"
        f"    assert len(hdul) == {2 + len(MOS_NAMES) * MOS_SLITS}, len(hdul)\n"
        "print('ok')\n")
    paths = [str(d.uncal), str(d.ramp), str(d.rateints), str(d.mos_few), str(d.mos)]
    r = subprocess.run([sys.executable, "-c", code, *paths], capture_output=True, text=True,
                       check=False)
    return "" if r.returncode == 0 and "ok" in r.stdout else (r.stderr[-2000:] or r.stdout)


def ensure(size: str, force: bool = False, log=print) -> TsoData:
    """The benchmark data of ``size``, generated unless already there."""
    folder = data_dir(size)
    folder.mkdir(parents=True, exist_ok=True)
    d = TsoData(size, folder, nints_for(size))
    manifest = folder / "manifest.json"
    want = _wanted(d)
    if not force and manifest.exists():
        try:
            have = json.loads(manifest.read_text())
        except ValueError:
            have = {}
        if {k: have.get(k) for k in want} == want and all(
                Path(p).exists() for p in (d.uncal, d.ramp, d.rateints, d.mos, d.mos_few)):
            return d
    manifest.unlink(missing_ok=True)
    t0 = time.perf_counter()
    log(f"ramps benchmarks: generating {size} TSO data in {folder} "
        f"(uncal {d.shape}, {d.n * 2 / 1e9:.2f} GB; ramp {d.n * 5 / 1e9:.2f} GB) ...")
    scene = _Scene()
    steps = [("uncal", lambda: _write_uncal(d, scene)), ("ramp", lambda: _write_ramp(d, scene)),
             ("rateints", lambda: _write_rateints(d, scene)),
             ("mos", lambda: _write_mos(d.mos, MOS_SLITS)),
             ("mos_few", lambda: _write_mos(d.mos_few, MOS_FEW))]
    for name, step in steps:
        t = time.perf_counter()
        step()
        log(f"  {name}: {time.perf_counter() - t:.1f} s")
    problem = _stdatamodels_check(d)
    if problem:
        raise RuntimeError(f"generated benchmark data do not open in stdatamodels:\n{problem}")
    sizes = {k: Path(p).stat().st_size for k, p in d.as_dict().items()
             if k in ("uncal", "ramp", "rateints", "mos", "mos_few")}
    manifest.write_text(json.dumps({**want, "bytes": sizes, "generated": time.time(),
                                    "seconds": round(time.perf_counter() - t0, 1)}, indent=1))
    log(f"  done in {time.perf_counter() - t0:.1f} s (checked in stdatamodels)")
    return d


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    size = (args[0] if args else os.environ.get("RAMPS_BENCH_SIZE", "small")).lower()
    if size not in ("small", "large"):
        sys.exit("usage: python benchmarks/tso_data.py [small|large] [--force]")
    d = ensure(size, force="--force" in sys.argv)
    print(json.dumps(d.as_dict(), indent=1))
