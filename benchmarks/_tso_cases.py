"""The routes timed by the TSO and product benchmarks, each as ``imports``,
``prepare`` (untimed) and ``work`` (timed), so that one definition serves both
the fresh-process runner (``_fresh.py``) and the warm in-process rounds.

This module imports only the standard library at load time: a fresh process
imports a case's modules in its timed import phase.  Every ``work`` takes
``(args, prep)``: ``args`` is a JSON-able dict (paths from
``tso_data.TsoData.as_dict()`` plus case options), ``prep`` what ``prepare``
returned.  ``work`` returns what the route hands to its user (an array, a list
of arrays, a DATASUM or a written path); ``digest`` makes that comparable
across routes so the suite checks they compute the same thing.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

U16_FLIP = 0x8000
BLOCK = 1 << 16  # elements per block of the blocked numpy routes (fits L2 with its temporaries)


@dataclass
class Case:
    name: str
    work: Callable[[dict, dict], Any]
    imports: tuple[str, ...] = ("numpy",)
    prepare: Callable[[dict], dict] | None = None
    cleanup: Callable[[dict, Any], None] | None = None


CASES: dict[str, Case] = {}


def case(name: str, imports=("numpy",), prepare=None, cleanup=None):
    def deco(fn):
        CASES[name] = Case(name, fn, tuple(imports), prepare, cleanup)
        return fn

    return deco


def _rm(a: dict, result: Any) -> None:
    for p in ([result] if isinstance(result, (str, os.PathLike)) else []) + [a.get("out_path")]:
        if p:
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass


#: What a user's script imports (``import ramps``; the attribute used imports its
#: module); whatever a route imports lazily inside its work counts as work.
RAMPS = ("numpy", "ramps", "ramps.products.fits")
ASTROPY = ("numpy", "astropy.io.fits")
STDATAMODELS = ("numpy", "astropy.io.fits", "stdatamodels.jwst.datamodels")


def _quiet():
    """stdatamodels/astropy warn about our synthetic metadata; not what is timed."""
    warnings.simplefilter("ignore")


# --------------------------------------------------------------------------- digests


def digest(result: Any) -> dict:
    """Shape, dtype, a float64 sum and a hash of a strided sample: enough to tell two
    routes' results apart, cheap even for 8 GB."""
    import numpy as np

    if isinstance(result, (str, os.PathLike)):
        return {"path": str(result), "bytes": Path(result).stat().st_size}
    if isinstance(result, (int, np.integer)):
        return {"value": int(result)}
    arrays = result if isinstance(result, list) else [result]
    h = hashlib.blake2b(digest_size=12)
    total, shapes = 0.0, []
    for a in arrays:
        a = np.asarray(a)
        shapes.append(list(a.shape))
        flat = a.reshape(-1)
        step = max(1, flat.size // 4099) | 1
        h.update(np.ascontiguousarray(flat[::step], dtype=a.dtype.newbyteorder("=")).tobytes())
        total += float(np.sum(a, dtype=np.float64))
    return {"shapes": shapes if len(shapes) > 1 else shapes[0],
            "dtype": str(np.asarray(arrays[0]).dtype.newbyteorder("=")) if arrays else None,
            "sum": total, "sample": h.hexdigest()}


# --------------------------------------------------------------------------- floors and bars


@case("floor_touch", imports=("numpy",))
def _floor(a, prep):
    """Allocate the float32 output and write every byte once (np.empty + fill)."""
    import numpy as np

    out = np.empty(a["out_shape"], np.float32)
    out.fill(0)
    return out


@case("floor_touch_2threads", imports=("numpy",))
def _floor2(a, prep):
    """Allocate the output and write every byte once from two threads (np.copyto of a
    scalar releases the GIL), as the 2-thread decode touches its output."""
    import threading

    import numpy as np

    out = np.empty(a["out_shape"], np.float32)
    flat = out.reshape(-1)
    half = flat.size // 2
    t = threading.Thread(target=np.copyto, args=(flat[half:], 0))
    t.start()
    np.copyto(flat[:half], 0)
    t.join()
    return out


def _copy_prepare(a):
    import numpy as np

    out = np.empty(a["out_shape"], np.float32)
    out.fill(1)
    src = np.empty(min(out.size, 128 << 20), np.float32)  # 512 MB: far beyond any cache
    src.fill(2)
    return {"out": out, "src": src}


@case("copyto_bar", imports=("numpy",), prepare=_copy_prepare)
def _copyto(a, prep):
    """numpy.copyto of float32 into the (reused) output: a memcpy of the result size."""
    import numpy as np

    out, src = prep["out"].reshape(-1), prep["src"]
    for s in range(0, out.size, src.size):
        n = min(src.size, out.size - s)
        np.copyto(out[s:s + n], src[:n])
    return prep["out"]


def _write_prepare(a):
    import numpy as np

    buf = np.empty(min(a["nbytes"], 64 << 20), np.uint8)
    buf.fill(7)
    return {"buf": buf}


@case("write_bound", imports=("numpy",), prepare=_write_prepare, cleanup=_rm)
def _write_bound(a, prep):
    """ndarray.tofile of the same number of bytes (64 MB at a time), fsync when asked."""
    buf, total = prep["buf"], a["nbytes"]
    path = a["out_path"]
    with open(path, "wb") as f:
        done = 0
        while done < total:
            n = min(buf.size, total - done)
            buf[:n].tofile(f)
            done += n
        if a.get("fsync"):
            f.flush()
            os.fsync(f.fileno())
    return path


# --------------------------------------------------------------------------- whole SCI


def _reused_out(shape_key, dtype):
    """A ``prepare`` giving the route a touched output buffer of ``a[shape_key]``
    when the case reuses one (``reuse_out``), else nothing."""

    def prepare(a):
        import numpy as np

        if not a.get("reuse_out"):
            return {}
        out = np.empty(a[shape_key], dtype)
        out.fill(0)
        return {"out": out}

    return prepare


_maybe_out = _reused_out("out_shape", "float32")


@case("read_ramps", imports=RAMPS, prepare=_maybe_out)
def _read_ramps(a, prep):
    import numpy as np

    import ramps

    with ramps.open(a["uncal"]) as p:
        return p.read("SCI", dtype=np.float32, out=prep.get("out"))


@case("read_astropy", imports=ASTROPY)
def _read_astropy(a, prep):
    import numpy as np
    from astropy.io import fits

    with fits.open(a["uncal"]) as h:
        return h["SCI"].data.astype(np.float32)


@case("read_numpy_xor_astype", imports=ASTROPY)
def _read_np_simple(a, prep):
    """The plain numpy route over astropy's raw memory map, as written in the issue."""
    import numpy as np
    from astropy.io import fits

    with fits.open(a["uncal"], do_not_scale_image_data=True) as h:
        raw = h["SCI"].data  # >i2 memmap, no scaling
        return (raw.view(">u2") ^ np.uint16(U16_FLIP)).astype(np.float32)


def xor_astype_blocked(raw, out):
    """(raw ^ 0x8000) -> float32 in 64Ki blocks: one pass over memory, temporaries in L2."""
    import numpy as np

    src = raw.reshape(-1).view(">u2")
    dst = out.reshape(-1)
    tmp = np.empty(min(BLOCK, src.size), np.uint16)
    m = np.uint16(U16_FLIP)
    for s in range(0, src.size, BLOCK):
        e = min(s + BLOCK, src.size)
        t = np.bitwise_xor(src[s:e], m, out=tmp[:e - s])
        dst[s:e] = t
    return out


@case("read_numpy_blocked", imports=ASTROPY, prepare=_maybe_out)
def _read_np_blocked(a, prep):
    """numpy's best found: xor + assign in 64Ki blocks into one output."""
    import numpy as np
    from astropy.io import fits

    with fits.open(a["uncal"], do_not_scale_image_data=True) as h:
        raw = h["SCI"].data
        out = prep.get("out")
        if out is None:
            out = np.empty(raw.shape, np.float32)
        return xor_astype_blocked(raw, out)


@case("read_stdatamodels", imports=STDATAMODELS)
def _read_stdm(a, prep):
    from stdatamodels.jwst import datamodels as dm

    _quiet()
    with dm.RampModel(a["uncal"]) as m:
        return m.data


# --------------------------------------------------------------------------- one integration


@case("int_ramps", imports=RAMPS)
def _int_ramps(a, prep):
    import ramps

    with ramps.open(a["uncal"]) as p:
        return p.sci[a["k"]]


@case("int_astropy_section", imports=ASTROPY)
def _int_astropy(a, prep):
    import numpy as np
    from astropy.io import fits

    with fits.open(a["uncal"]) as h:
        return h["SCI"].section[a["k"]].astype(np.float32)


@case("int_numpy_raw", imports=ASTROPY)
def _int_numpy(a, prep):
    import numpy as np
    from astropy.io import fits

    with fits.open(a["uncal"], do_not_scale_image_data=True) as h:
        raw = h["SCI"].data[a["k"]]
        return (raw.view(">u2") ^ np.uint16(U16_FLIP)).astype(np.float32)


@case("int_stdatamodels", imports=STDATAMODELS)
def _int_stdm(a, prep):
    from stdatamodels.jwst import datamodels as dm

    _quiet()
    with dm.RampModel(a["uncal"]) as m:
        return m.data[a["k"]].copy()


# --------------------------------------------------------------------------- conversion


CONVERT_IMPORTS = ("numpy", "ramps", "ramps.convert.cli", "ramps.ops.ramp", "ramps.products.exposure",
                   "ramps.fits.write")


@case("convert_ramps", imports=CONVERT_IMPORTS, cleanup=_rm)
def _convert_ramps(a, prep):
    """The ramps.ops.ramp command (its main function: the same code the script runs)."""
    from ramps.convert.cli import convert_main

    argv = [a["uncal"], "-o", a["out_dir"], "--overwrite", "-q"]
    if a.get("no_err"):
        argv.append("--no-err")
    rc = convert_main(argv)
    if rc != 0:
        raise RuntimeError(f"ramps.ops.ramp exited with {rc}")
    return a["out_path"]


@case("convert_stdatamodels", imports=STDATAMODELS, cleanup=_rm)
def _convert_stdm(a, prep):
    from stdatamodels.jwst import datamodels as dm

    _quiet()
    with dm.RampModel(a["uncal"]) as m:
        m.save(a["out_path"])
    return a["out_path"]


def check_ramp_output(uncal: str, out: str, k: int) -> str:
    """'' when integration k of the written ramp equals the uncal's, else the problem."""
    import numpy as np

    import ramps

    with ramps.open(uncal) as u, ramps.open(out) as r:
        if r.kind != "ramp":
            return f"{out}: kind {r.kind}"
        if r.hdu("SCI").shape != u.hdu("SCI").shape:
            return f"{out}: SCI shape {r.hdu('SCI').shape}"
        if not np.array_equal(r.sci[k], u.sci[k]):
            return f"{out}: SCI integration {k} differs from the uncal's"
    return ""


# --------------------------------------------------------------------------- DQ


def _pixeldq_u32(h):
    import numpy as np

    raw = h["PIXELDQ"].data  # >i4 with BZERO 2**31 (do_not_scale_image_data)
    return (raw.view(">u4") ^ np.uint32(1 << 31)).astype(np.uint32)


def np_or_blocked(g, p, out, blk=1 << 15, acc=None):
    """OR over groups 8 pixels per uint64 on pixel blocks (accumulator in cache), then
    widen into uint32 with PIXELDQ: numpy's best 'or' route (the kernel suite runs it
    too, with ``acc`` allocated outside the timing)."""
    import numpy as np

    nints, ngroups = g.shape[:2]
    npix = g[0, 0].size
    g64 = g.reshape(nints, ngroups, -1).view(np.uint64)
    out2 = out.reshape(nints, -1)
    p1 = p.reshape(-1)
    if acc is None:
        acc = np.empty((nints, min(blk, npix // 8)), np.uint64)
    for s in range(0, npix // 8, blk):
        e = min(s + blk, npix // 8)
        t = acc[:, :e - s]
        np.bitwise_or.reduce(g64[:, :, s:e], axis=1, out=t)
        np.bitwise_or(p1[8 * s:8 * e], t.view(np.uint8), out=out2[:, 8 * s:8 * e])
    return out


ONES = 0x0101010101010101


def np_stcal_swar(g, p, out):
    """stcal's rules 8 pixels per uint64, one integration at a time (buffers in cache):
    numpy's best 'stcal' route (the kernel suite's SWAR formulation, blocked)."""
    import numpy as np

    nints, ngroups = g.shape[:2]
    g64 = g.reshape(nints, ngroups, -1).view(np.uint64)
    n = g64.shape[2]
    anyv, allv, badv, tmp = (np.empty(n, np.uint64) for _ in range(4))
    one, ones = np.uint64(1), np.uint64(ONES)
    p1 = p.reshape(-1)
    out2 = out.reshape(nints, -1)
    for i in range(nints):
        gi = g64[i]
        np.copyto(anyv, gi[0])
        np.copyto(allv, gi[0])
        np.right_shift(gi[0], one, out=badv)
        np.bitwise_or(badv, gi[0], out=badv)
        for k in range(1, ngroups):
            gk = gi[k]
            np.bitwise_or(anyv, gk, out=anyv)
            np.bitwise_and(allv, gk, out=allv)
            np.right_shift(gk, one, out=tmp)
            np.bitwise_or(tmp, gk, out=tmp)
            np.bitwise_and(badv, tmp, out=badv)
        np.bitwise_and(badv, ones, out=badv)
        np.bitwise_and(anyv, np.uint64(0x2626262626262626), out=anyv)  # JUMP|PERSIST|SAT
        np.bitwise_or(anyv, badv, out=anyv)
        np.right_shift(gi[0], one, out=tmp)  # first group saturated -> DNU
        np.bitwise_and(tmp, ones, out=tmp)
        np.bitwise_or(anyv, tmp, out=anyv)
        np.bitwise_and(allv, np.uint64(0x0202020202020202), out=allv)  # all saturated
        np.bitwise_or(anyv, allv, out=anyv)
        np.right_shift(allv, one, out=allv)
        np.bitwise_or(anyv, allv, out=anyv)
        np.bitwise_or(p1, anyv.view(np.uint8), out=out2[i])
    return out


_dq_out = _reused_out("dq_shape", "uint32")


@case("dq_ramps", imports=RAMPS + ("ramps.ops.quality",), prepare=_dq_out)
def _dq_ramps(a, prep):
    import ramps

    return ramps.combine_dq(a["ramp"], rules=a["rules"], out=prep.get("out"))


@case("dq_numpy_best", imports=ASTROPY, prepare=_dq_out)
def _dq_np_best(a, prep):
    import numpy as np
    from astropy.io import fits

    with fits.open(a["ramp"], do_not_scale_image_data=True) as h:
        g = h["GROUPDQ"].data  # uint8 memmap
        p = _pixeldq_u32(h)
        out = prep.get("out")
        if out is None:
            out = np.empty(a["dq_shape"], np.uint32)
        f = np_or_blocked if a["rules"] == "or" else np_stcal_swar
        return f(g, p, out)


def _dq_open_ramps(a):
    import ramps

    return dict(_dq_out(dict(a, reuse_out=True)), product=ramps.open(a["ramp"]))


@case("dq_ramps_open", imports=RAMPS + ("ramps.ops.quality",), prepare=_dq_open_ramps)
def _dq_ramps_open(a, prep):
    """The product kept open between calls (its memory map stays mapped), out= reused."""
    import ramps

    return ramps.combine_dq(prep["product"], rules=a["rules"], out=prep["out"])


def _dq_open_numpy(a):
    from astropy.io import fits

    h = fits.open(a["ramp"], do_not_scale_image_data=True)
    return dict(_dq_out(dict(a, reuse_out=True)), hdul=h, g=h["GROUPDQ"].data,
                p=_pixeldq_u32(h))


@case("dq_numpy_best_open", imports=ASTROPY, prepare=_dq_open_numpy)
def _dq_np_best_open(a, prep):
    """numpy's best on astropy memory maps kept open between calls, out= reused."""
    f = np_or_blocked if a["rules"] == "or" else np_stcal_swar
    return f(prep["g"], prep["p"], prep["out"])


@case("dq_numpy_obvious", imports=ASTROPY)
def _dq_np_obvious(a, prep):
    """What a user writes: astropy arrays and the reference formulation of the rules."""
    import numpy as np
    from astropy.io import fits

    with fits.open(a["ramp"]) as h:
        p, g = h["PIXELDQ"].data, h["GROUPDQ"].data
        if a["rules"] == "or":
            return p | np.bitwise_or.reduce(g, axis=1)
        any_ = np.bitwise_or.reduce(g, axis=1).astype(np.uint32)
        res = p[None] | (any_ & np.uint32(4 | 32 | 2))
        all_sat = np.all((g & 2) != 0, axis=1)
        all_bad = np.all((g & 3) != 0, axis=1)
        first_sat = (g[:, 0] & 2) != 0
        res |= np.where(first_sat | all_bad, 1, 0).astype(np.uint32)
        res |= np.where(all_sat, 3, 0).astype(np.uint32)
        return res


# --------------------------------------------------------------------------- ERR


_err_out = _reused_out("cube", "float32")


@case("err_ramps", imports=RAMPS + ("ramps.ops.quality",), prepare=_err_out)
def _err_ramps(a, prep):
    import ramps

    return ramps.recompute_err(a["rateints"], out=prep.get("out"))


def np_err_blocked(arrays, out):
    """add/add/sqrt over 64Ki-element blocks of the big-endian memory maps: one pass."""
    import numpy as np

    flat = [x.reshape(-1) for x in arrays]
    dst = out.reshape(-1)
    t = np.empty(min(BLOCK, dst.size), np.float32)
    for s in range(0, dst.size, BLOCK):
        e = min(s + BLOCK, dst.size)
        tt = t[:e - s]
        np.add(flat[0][s:e], flat[1][s:e], out=tt)
        for x in flat[2:]:
            np.add(tt, x[s:e], out=tt)
        np.sqrt(tt, out=dst[s:e])
    return out


VARS = ("VAR_POISSON", "VAR_RNOISE", "VAR_FLAT")


@case("err_numpy_best", imports=ASTROPY, prepare=_err_out)
def _err_np_best(a, prep):
    import numpy as np
    from astropy.io import fits

    with fits.open(a["rateints"]) as h:
        names = {x.name for x in h}
        arrays = [h[n].data for n in VARS if n in names]
        out = prep.get("out")
        if out is None:
            out = np.empty(arrays[0].shape, np.float32)
        return np_err_blocked(arrays, out)


def _err_open_ramps(a):
    import ramps

    return dict(_err_out(dict(a, reuse_out=True)), product=ramps.open(a["rateints"]))


@case("err_ramps_open", imports=RAMPS + ("ramps.ops.quality",), prepare=_err_open_ramps)
def _err_ramps_open(a, prep):
    """The product kept open between calls, out= reused."""
    import ramps

    return ramps.recompute_err(prep["product"], out=prep["out"])


def _err_open_numpy(a):
    from astropy.io import fits

    h = fits.open(a["rateints"])
    names = {x.name for x in h}
    return dict(_err_out(dict(a, reuse_out=True)), hdul=h,
                arrays=[h[n].data for n in VARS if n in names])


@case("err_numpy_best_open", imports=ASTROPY, prepare=_err_open_numpy)
def _err_np_best_open(a, prep):
    """numpy's best on astropy memory maps kept open between calls, out= reused."""
    return np_err_blocked(prep["arrays"], prep["out"])


@case("err_numpy_obvious", imports=ASTROPY)
def _err_np_obvious(a, prep):
    import numpy as np
    from astropy.io import fits

    with fits.open(a["rateints"]) as h:
        names = {x.name for x in h}
        arrays = [h[n].data for n in VARS if n in names]
        total = arrays[0] + arrays[1]
        for x in arrays[2:]:
            total = total + x
        return np.sqrt(total)


# --------------------------------------------------------------------------- writing calints


def calints_arrays(nints, ny, nx):
    """The arrays of a calints of the segment (float32 SCI, ERR, VAR_*; uint32 DQ)."""
    import numpy as np

    rng = np.random.default_rng(11)
    shape = (nints, ny, nx)
    plane = rng.random((ny, nx), dtype=np.float32)
    arrays = {}
    for i, name in enumerate(("SCI", "ERR", "VAR_POISSON", "VAR_RNOISE", "VAR_FLAT")):
        a = np.empty(shape, np.float32)
        a[...] = plane * (1 + i) + np.arange(nints, dtype=np.float32)[:, None, None]
        arrays[name] = a
    dq = np.zeros(shape, np.uint32)
    dq[:, ::37, ::5] = 1 << 2
    arrays["DQ"] = dq
    return arrays


def calints_meta(nints, ny, nx):
    return {"meta": {"model_type": "CubeModel",
                     "instrument": {"name": "NIRCAM", "detector": "NRCALONG"},
                     "exposure": {"type": "NRC_TSGRISM", "nints": nints, "ngroups": 10},
                     "subarray": {"name": "SUBGRISM256", "xsize": nx, "ysize": ny},
                     "observation": {"date": "2026-10-27", "time": "06:00:00.000"}}}


def _calints_prepare(a):
    return {"arrays": calints_arrays(*a["cube"]), "meta": calints_meta(*a["cube"])}


@case("write_ramps", imports=RAMPS + ("ramps.fits.write",), prepare=_calints_prepare, cleanup=_rm)
def _write_ramps(a, prep):
    import ramps

    return ramps.write(a["out_path"], "calints", prep["arrays"], meta=prep["meta"],
                       overwrite=True, checksum=a.get("checksum", False))


def astropy_hdulist(arrays, names=None):
    from astropy.io import fits

    hdus = [fits.PrimaryHDU()]
    for key, arr in arrays.items():
        name, ver = key if isinstance(key, tuple) else (key, 1)
        hdus.append(fits.ImageHDU(arr, name=name, ver=ver))
    return fits.HDUList(hdus)


@case("write_astropy", imports=ASTROPY, prepare=_calints_prepare, cleanup=_rm)
def _write_astropy(a, prep):
    astropy_hdulist(prep["arrays"]).writeto(a["out_path"], overwrite=True,
                                            checksum=a.get("checksum", False))
    if a.get("fsync"):
        fd = os.open(a["out_path"], os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    return a["out_path"]


# --------------------------------------------------------------------------- DATASUM


@case("datasum_ramps", imports=RAMPS)
def _datasum_ramps(a, prep):
    """FITS DATASUM of the uncal SCI data unit over ramps' memory map (C kernel, all cores)."""
    import ramps

    with ramps.open(a["uncal"]) as p:
        return p.datasum("SCI")


@case("datasum_ramps_verify", imports=RAMPS)
def _datasum_ramps_verify(a, prep):
    """p.verify_checksums(): DATASUM and CHECKSUM of every HDU verified (what
    ramps.open(checksum=True) does), returning the SCI sum it computed."""
    import ramps

    with ramps.open(a["uncal"]) as p:
        results = p.verify_checksums(required=True)
        return next(r.computed_datasum for r in results if r.extension == "SCI,1")


@case("datasum_astropy", imports=ASTROPY)
def _datasum_astropy(a, prep):
    """fits.open(checksum=True): astropy verifies DATASUM/CHECKSUM of every HDU on open."""
    from astropy.io import fits

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a failed verification warns: make it an error
        with fits.open(a["uncal"], checksum=True) as h:
            return int(h["SCI"]._datasum)


# --------------------------------------------------------------------------- MOS cal


@case("mos_read_ramps", imports=RAMPS)
def _mos_ramps(a, prep):
    import ramps

    with ramps.open(a["mos_path"]) as p:
        return [p["SCI", v] for v in p.versions("SCI")]


@case("mos_read_astropy_index", imports=ASTROPY)
def _mos_astropy_index(a, prep):
    from astropy.io import fits

    with fits.open(a["mos_path"]) as h:
        return [h["SCI", v].data for v in range(1, a["nslits"] + 1)]


@case("mos_read_astropy_iter", imports=ASTROPY)
def _mos_astropy_iter(a, prep):
    from astropy.io import fits

    with fits.open(a["mos_path"]) as h:
        return [x.data for x in h if x.name == "SCI"]


@case("mos_read_stdatamodels", imports=STDATAMODELS)
def _mos_stdm(a, prep):
    from stdatamodels.jwst import datamodels as dm

    _quiet()
    with dm.open(a["mos_path"]) as m:
        return [s.data for s in m.slits]


def _mos_prepare(a):
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import tso_data

    arrays, meta = tso_data.mos_arrays(a["nslits"])
    return {"arrays": arrays, "meta": meta}


@case("mos_write_ramps", imports=RAMPS + ("ramps.fits.write",), prepare=_mos_prepare,
      cleanup=_rm)
def _mos_write_ramps(a, prep):
    import ramps

    return ramps.write(a["out_path"], "cal", prep["arrays"], meta=prep["meta"], overwrite=True)


@case("mos_write_astropy", imports=ASTROPY, prepare=_mos_prepare, cleanup=_rm)
def _mos_write_astropy(a, prep):
    astropy_hdulist(prep["arrays"]).writeto(a["out_path"], overwrite=True)
    return a["out_path"]


ATTR = {"SCI": "data", "DQ": "dq", "ERR": "err", "WAVELENGTH": "wavelength",
        "VAR_POISSON": "var_poisson", "VAR_RNOISE": "var_rnoise", "VAR_FLAT": "var_flat"}


@case("mos_write_stdatamodels", imports=STDATAMODELS, prepare=_mos_prepare, cleanup=_rm)
def _mos_write_stdm(a, prep):
    """Build the MultiSlitModel from the arrays (what a user holding arrays does) and save."""
    from stdatamodels.jwst import datamodels as dm

    _quiet()
    arrays, meta = prep["arrays"], prep["meta"]
    with dm.MultiSlitModel() as m:
        m.meta.instrument.name = "NIRSPEC"
        m.meta.instrument.detector = "NRS1"
        m.meta.exposure.type = "NRS_MSASPEC"
        for i, s in enumerate(meta["slits"], 1):
            slit = dm.SlitModel(**{ATTR[n]: arrays[(n, i)] for n in ATTR})
            slit.name = s["name"]
            m.slits.append(slit)
        m.save(a["out_path"])
    return a["out_path"]
