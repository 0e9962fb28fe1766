"""Kernel benchmarks: each ramps kernel against its best numpy equivalent, same run.

Not part of the test run (pyproject's testpaths is ``tests``).  Run with::

    python -m pytest benchmarks --benchmark-only            # small, < 1 minute
    RAMPS_BENCH_SIZE=large python -m pytest benchmarks --benchmark-only

Every numpy/astropy formulation is checked once against the ramps result
before it is timed, so the table only compares routes that compute the same
bytes.  See _ramps_bench.py and README.md for how ratios and GB/s are defined.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from ramps import kernels

from _ramps_bench import GROUP_NOTES, SHAPE, fresh_mmap, run_case
from _tso_cases import np_or_blocked

NINTS, NGROUPS, NY, NX = SHAPE
N = NINTS * NGROUPS * NY * NX  # values in one block of ramps
NPIX = NY * NX
F32_32768 = np.float32(32768)


def _bytes(x):
    if isinstance(x, (int, np.integer)):
        return int(x)
    return np.ascontiguousarray(x).reshape(-1).view(np.uint8).tobytes()


def _case(benchmark, group, name, role, fn, nbytes, note, expect=None, setup=None, goals=()):
    """Check the case's result against ``expect`` (bytes or int), then time it.

    The checking call also touches reused output buffers, so that page faults
    of their first use do not count against the timed rounds."""
    got = fn(*setup()) if setup else fn()
    if expect is not None:
        assert _bytes(got) == expect, f"{group}: {name} computes something else"
    row = run_case(benchmark, group, name, role, fn, nbytes, note, setup=setup)
    row.extra["goals"] = list(goals)


# --------------------------------------------------------------------------- decode


@pytest.fixture(scope="module")
def raw16():
    """N stored int16 values (BITPIX=16, BZERO=32768) as big-endian bytes."""
    rng = np.random.default_rng(1)
    u16 = rng.integers(0, 65536, size=N, dtype=np.uint16)
    raw = (u16 ^ np.uint16(0x8000)).astype(">u2").view(np.uint8)  # stored = value - 32768
    f32 = kernels.decode(raw, 16, bzero=32768.0, threads=1)
    return {"raw": raw, "u16": u16, "f32": f32, "expect": _bytes(f32)}


WARM = "decode u16->f32, warm out="
GROUP_NOTES[WARM] = ("the bar: numpy.copyto of the same float32 output (a plain memcpy); "
                     "goal: ramps threads=2 no slower")


def _decode_warm_cases(d):
    raw = d["raw"]
    be_i2, be_u2 = raw.view(">i2"), raw.view(">u2")
    out = np.empty(N, np.float32)
    tmp16 = np.empty(N, np.uint16)
    src = d["f32"].copy()
    blk = 1 << 16

    def np_blocked():  # xor + convert in cache-sized pieces: one pass over memory
        for s in range(0, N, blk):
            t = np.bitwise_xor(be_u2[s:s + blk], np.uint16(0x8000), out=tmp16[: min(blk, N - s)])
            out[s:s + blk] = t
        return out

    return {
        "numpy copyto(out, f32)": ("bar", lambda: np.copyto(out, src) or out),
        "ramps decode threads=2": ("ramps", lambda: kernels.decode(
            raw, 16, bzero=32768.0, out=out, threads=2)),
        "ramps decode threads=1": ("ramps", lambda: kernels.decode(
            raw, 16, bzero=32768.0, out=out, threads=1)),
        "numpy add(>i2, f32 32768, out=)": ("numpy", lambda: np.add(be_i2, F32_32768, out=out)),
        "numpy xor(>u2,0x8000,out=u16); out[...]=u16": (
            "numpy", lambda: (np.bitwise_xor(be_u2, np.uint16(0x8000), out=tmp16),
                              out.__setitem__(Ellipsis, tmp16), out)[-1]),
        "numpy xor+assign in 64Ki blocks": ("numpy", np_blocked),
        "numpy out[...]=>i2; out+=32768": (
            "numpy", lambda: (out.__setitem__(Ellipsis, be_i2),
                              np.add(out, F32_32768, out=out))[-1]),
    }


@pytest.mark.parametrize("case", [
    "numpy copyto(out, f32)", "ramps decode threads=2", "ramps decode threads=1",
    "numpy add(>i2, f32 32768, out=)", "numpy xor(>u2,0x8000,out=u16); out[...]=u16",
    "numpy xor+assign in 64Ki blocks", "numpy out[...]=>i2; out+=32768",
])
def test_decode_warm(benchmark, raw16, case):
    cases = raw16.setdefault("warm_cases", _decode_warm_cases(raw16))
    role, fn = cases[case]
    goals = [("bar", 1.0)] if case == "ramps decode threads=2" else []
    _case(benchmark, WARM, case, role, fn, 4 * N, "output bytes (4/value)",
          expect=None if role == "bar" else raw16["expect"], goals=goals)


FRESH = "decode u16->f32, fresh output"
GROUP_NOTES[FRESH] = ("new output memory every call; 'mmap' = never-touched anonymous pages "
                      "(4 KiB faults), 'np.empty' = what decode(out=None) gets (glibc may "
                      "recycle it: see faults/call). The floor is touching the same bytes")


def _decode_fresh_cases(d):
    raw = d["raw"]
    be_i2, be_u2 = raw.view(">i2"), raw.view(">u2")
    nbytes = 4 * N
    src = d["f32"]

    def mm():
        return (np.frombuffer(fresh_mmap(nbytes), np.float32, count=N),)

    def astropy_bytes():
        from astropy.io import fits

        buf = io.BytesIO()
        sci = fits.ImageHDU(d["u16"].reshape(SHAPE), name="SCI")  # uint16 -> BZERO=32768
        fits.HDUList([fits.PrimaryHDU(), sci]).writeto(buf)
        return buf.getvalue()

    blob = astropy_bytes()

    def astropy_read():
        from astropy.io import fits

        with fits.open(io.BytesIO(blob), uint=False, memmap=False) as hdul:
            data = hdul["SCI"].data  # BZERO applied: float32
            assert data.dtype == np.float32
            return data

    return {
        "floor: mmap + fill(0)": ("floor", lambda o: o.fill(0), mm),
        "floor: np.empty + fill(0)": ("floor", lambda: np.empty(N, np.float32).fill(0), None),
        "numpy copyto into mmap": ("bar", lambda o: np.copyto(o, src) or o, mm),
        "ramps decode threads=2 into mmap": ("ramps", lambda o: kernels.decode(
            raw, 16, bzero=32768.0, out=o, threads=2), mm),
        "ramps decode threads=1 into mmap": ("ramps", lambda o: kernels.decode(
            raw, 16, bzero=32768.0, out=o, threads=1), mm),
        "ramps decode threads=2 out=None": ("ramps", lambda: kernels.decode(
            raw, 16, bzero=32768.0, threads=2), None),
        "numpy add(>i2, f32 32768) new array": ("numpy", lambda: np.add(be_i2, F32_32768), None),
        "numpy (>u2 ^ 0x8000).astype(f32)": (
            "numpy", lambda: (be_u2 ^ np.uint16(0x8000)).astype(np.float32), None),
        "astropy fits.open(BytesIO, uint=False)[SCI].data": ("astropy", astropy_read, None),
    }


@pytest.mark.parametrize("case", [
    "floor: mmap + fill(0)", "floor: np.empty + fill(0)", "numpy copyto into mmap",
    "ramps decode threads=2 into mmap", "ramps decode threads=1 into mmap",
    "ramps decode threads=2 out=None", "numpy add(>i2, f32 32768) new array",
    "numpy (>u2 ^ 0x8000).astype(f32)", "astropy fits.open(BytesIO, uint=False)[SCI].data",
])
def test_decode_fresh(benchmark, raw16, case):
    cases = raw16.setdefault("fresh_cases", _decode_fresh_cases(raw16))
    role, fn, setup = cases[case]
    expect = None if role in ("floor", "bar") else raw16["expect"]
    _case(benchmark, FRESH, case, role, fn, 4 * N, "output bytes (4/value)",
          expect=expect, setup=setup)


# --------------------------------------------------------------------------- encode

ENC_F32 = "encode f32 -> >f4 (BITPIX=-32)"
ENC_U16 = "encode u16 -> >i2 (BITPIX=16, BZERO=32768)"
TRANS = "transcode_u16_to_f32be (>i2+32768 -> >f4)"


@pytest.mark.parametrize("case", [
    "ramps encode threads=2", "ramps encode threads=1",
    "numpy copyto(out.view('>f4'), f32)", "numpy f32.astype('>f4')",
    "numpy u4[...] = f32; u4.byteswap(inplace)",
])
def test_encode_f32(benchmark, raw16, case):
    f32 = raw16["f32"]
    out = np.empty(4 * N, np.uint8)
    be = out.view(">f4")
    u4 = out.view(np.uint32)
    fns = {
        "ramps encode threads=2": ("ramps", lambda: kernels.encode(f32, -32, out=out, threads=2)),
        "ramps encode threads=1": ("ramps", lambda: kernels.encode(f32, -32, out=out, threads=1)),
        "numpy copyto(out.view('>f4'), f32)": ("numpy", lambda: np.copyto(be, f32) or be),
        "numpy f32.astype('>f4')": ("numpy", lambda: f32.astype(">f4")),
        "numpy u4[...] = f32; u4.byteswap(inplace)": ("numpy", lambda: _byteswap_into(f32, u4)),
    }
    role, fn = fns[case]
    expect = raw16.setdefault("enc_f32", _bytes(f32.astype(">f4")))
    _case(benchmark, ENC_F32, case, role, fn, 8 * N, "input + output bytes (8/value)",
          expect=expect)


def _byteswap_into(f32, u4):
    u4[...] = f32.view(np.uint32)
    u4.byteswap(inplace=True)
    return u4


@pytest.mark.parametrize("case", [
    "ramps encode threads=2", "ramps encode threads=1",
    "numpy xor(u16, 0x8000, out=out.view('>u2'))", "numpy (u16 ^ 0x8000).astype('>u2')",
])
def test_encode_u16(benchmark, raw16, case):
    u16 = raw16["u16"]
    out = np.empty(2 * N, np.uint8)
    be = out.view(">u2")
    m = np.uint16(0x8000)
    fns = {
        "ramps encode threads=2": ("ramps", lambda: kernels.encode(
            u16, 16, bzero=32768.0, out=out, threads=2)),
        "ramps encode threads=1": ("ramps", lambda: kernels.encode(
            u16, 16, bzero=32768.0, out=out, threads=1)),
        "numpy xor(u16, 0x8000, out=out.view('>u2'))": (
            "numpy", lambda: np.bitwise_xor(u16, m, out=be)),
        "numpy (u16 ^ 0x8000).astype('>u2')": ("numpy", lambda: (u16 ^ m).astype(">u2")),
    }
    role, fn = fns[case]
    _case(benchmark, ENC_U16, case, role, fn, 4 * N, "input + output bytes (4/value)",
          expect=_bytes(raw16["raw"]))


@pytest.mark.parametrize("case", [
    "ramps transcode threads=2", "ramps transcode threads=1",
    "numpy (>u2 ^ 0x8000).astype('>f4')", "numpy add(>i2, f32 32768, out=out.view('>f4'))",
])
def test_transcode(benchmark, raw16, case):
    raw = raw16["raw"]
    out = np.empty(4 * N, np.uint8)
    be = out.view(">f4")
    fns = {
        "ramps transcode threads=2": ("ramps", lambda: kernels.transcode_u16_to_f32be(
            raw, out=out, threads=2)),
        "ramps transcode threads=1": ("ramps", lambda: kernels.transcode_u16_to_f32be(
            raw, out=out, threads=1)),
        "numpy (>u2 ^ 0x8000).astype('>f4')": (
            "numpy", lambda: (raw.view(">u2") ^ np.uint16(0x8000)).astype(">f4")),
        "numpy add(>i2, f32 32768, out=out.view('>f4'))": (
            "numpy", lambda: np.add(raw.view(">i2"), F32_32768, out=be)),
    }
    role, fn = fns[case]
    expect = raw16.setdefault("trans", _bytes(raw16["f32"].astype(">f4")))
    _case(benchmark, TRANS, case, role, fn, 6 * N, "input + output bytes (6/value)",
          expect=expect)


# --------------------------------------------------------------------------- DQ


@pytest.fixture(scope="module")
def dq():
    """Sparse realistic flags: mostly 0, some jumps, saturation that persists to the end."""
    rng = np.random.default_rng(2)
    g = np.zeros((NINTS, NGROUPS, NY, NX), np.uint8)
    g[rng.random(g.shape) < 0.01] |= 4  # JUMP_DET
    sat_from = rng.integers(0, 4 * NGROUPS, size=(NINTS, 1, NY, NX))  # ~25% saturate
    g[np.arange(NGROUPS)[None, :, None, None] >= sat_from] |= 2  # SATURATED
    g[rng.random(g.shape) < 0.001] |= 1  # DO_NOT_USE
    pixeldq = np.zeros((NY, NX), np.uint32)
    pixeldq[rng.random(pixeldq.shape) < 0.02] = 1 << 9
    return {"g": g, "p": pixeldq}


DQ_OR = "combine_dq rules='or'"
DQ_ST = "combine_dq rules='stcal'"
DQ_NOTE = "groupdq + pixeldq read, out written"


def _dq_bytes():
    return NINTS * NGROUPS * NPIX + 4 * NPIX + 4 * NINTS * NPIX


def _np_or_u64(g, p, acc64, out):
    """OR over groups 8 pixels at a time (uint64 view), then widen into uint32."""
    np.bitwise_or.reduce(g.reshape(NINTS, NGROUPS, -1).view(np.uint64), axis=1, out=acc64)
    np.bitwise_or(p.reshape(1, -1), acc64.view(np.uint8), out=out)
    return out


def _np_or_loop(g, p, acc, out):
    np.copyto(acc, g[:, 0])
    for k in range(1, NGROUPS):
        np.bitwise_or(acc, g[:, k], out=acc)
    np.bitwise_or(p, acc, out=out)
    return out


@pytest.mark.parametrize("case", [
    "ramps threads=1", "ramps threads=2",
    "numpy p | or.reduce(g, axis=1)", "numpy u64 formulation on 256Ki-pixel blocks", "numpy or.reduce(g, axis=1, out=); or(p, acc, out=)",
    "numpy or.reduce(g.view(u64), axis=1, out=); or(p, acc, out=)",
    "numpy loop over groups, out=",
])
def test_combine_dq_or(benchmark, dq, case):
    g, p = dq["g"], dq["p"]
    out = np.empty((NINTS, NY, NX), np.uint32)
    acc = np.empty((NINTS, NY, NX), np.uint8)
    acc64 = np.empty((NINTS, NPIX // 8), np.uint64)
    out2 = out.reshape(NINTS, -1)
    fns = {
        "ramps threads=1": ("ramps", lambda: kernels.combine_dq(p, g, out=out, threads=1)),
        "ramps threads=2": ("ramps", lambda: kernels.combine_dq(p, g, out=out, threads=2)),
        "numpy p | or.reduce(g, axis=1)": ("numpy", lambda: p | np.bitwise_or.reduce(g, axis=1)),
        "numpy or.reduce(g, axis=1, out=); or(p, acc, out=)": (
            "numpy", lambda: (np.bitwise_or.reduce(g, axis=1, out=acc),
                              np.bitwise_or(p, acc, out=out))[-1]),
        "numpy or.reduce(g.view(u64), axis=1, out=); or(p, acc, out=)": (
            "numpy", lambda: _np_or_u64(g, p, acc64, out2)),
        "numpy loop over groups, out=": ("numpy", lambda: _np_or_loop(g, p, acc, out)),
        "numpy u64 formulation on 256Ki-pixel blocks": (
            "numpy", lambda: np_or_blocked(g, p, out2, acc=acc64)),
    }
    role, fn = fns[case]
    expect = dq.setdefault("or", _bytes(kernels.combine_dq(p, g, threads=1)))
    goals = [("np", 2.0)] if case == "ramps threads=1" else []
    _case(benchmark, DQ_OR, case, role, fn, _dq_bytes(), DQ_NOTE, expect=expect, goals=goals)


ONES = np.uint64(0x0101010101010101)


def _np_stcal_swar(g, p, tmp, anyv, allv, badv, out):
    """stcal rules in numpy, 8 pixels per uint64, no temporaries the size of groupdq.

    Per byte: any = OR_g, all = AND_g, bad = AND_g (bit0 | bit1) (in bit 0);
    flags = (any & (JUMP|PERSIST|SAT)) | DNU if (g0 & SAT or bad) | SAT|DNU if all & SAT.
    """
    g64 = g.reshape(NINTS, NGROUPS, -1).view(np.uint64)
    np.copyto(anyv, g64[:, 0])
    np.copyto(allv, g64[:, 0])
    np.right_shift(g64[:, 0], np.uint64(1), out=badv)
    np.bitwise_or(badv, g64[:, 0], out=badv)
    for k in range(1, NGROUPS):
        gk = g64[:, k]
        np.bitwise_or(anyv, gk, out=anyv)
        np.bitwise_and(allv, gk, out=allv)
        np.right_shift(gk, np.uint64(1), out=tmp)
        np.bitwise_or(tmp, gk, out=tmp)
        np.bitwise_and(badv, tmp, out=badv)
    # badv bit 0 of each byte: every group has DNU or SAT
    np.bitwise_and(badv, ONES, out=badv)
    np.bitwise_and(anyv, np.uint64(0x2626262626262626), out=anyv)  # JUMP|PERSIST|SAT
    np.bitwise_or(anyv, badv, out=anyv)
    np.right_shift(g64[:, 0], np.uint64(1), out=tmp)  # first group saturated -> DNU
    np.bitwise_and(tmp, ONES, out=tmp)
    np.bitwise_or(anyv, tmp, out=anyv)
    np.bitwise_and(allv, np.uint64(0x0202020202020202), out=allv)  # all saturated
    np.bitwise_or(anyv, allv, out=anyv)
    np.right_shift(allv, np.uint64(1), out=allv)
    np.bitwise_or(anyv, allv, out=anyv)
    np.bitwise_or(p.reshape(1, -1), anyv.view(np.uint8), out=out)
    return out


@pytest.mark.parametrize("case", [
    "ramps threads=1", "ramps threads=2",
    "numpy reference formulation (tests/reference.py)",
    "numpy uint64 SWAR loop over groups, out=",
])
def test_combine_dq_stcal(benchmark, dq, case):
    import importlib.util
    import pathlib

    g, p = dq["g"], dq["p"]
    out = np.empty((NINTS, NY, NX), np.uint32)
    bufs = [np.empty((NINTS, NPIX // 8), np.uint64) for _ in range(4)]
    path = pathlib.Path(__file__).parents[1] / "tests" / "reference.py"
    spec = importlib.util.spec_from_file_location("ramps_bench_reference", path)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    fns = {
        "ramps threads=1": ("ramps", lambda: kernels.combine_dq(
            p, g, rules="stcal", out=out, threads=1)),
        "ramps threads=2": ("ramps", lambda: kernels.combine_dq(
            p, g, rules="stcal", out=out, threads=2)),
        "numpy reference formulation (tests/reference.py)": (
            "numpy", lambda: ref.combine_dq(p, g, rules="stcal")),
        "numpy uint64 SWAR loop over groups, out=": (
            "numpy", lambda: _np_stcal_swar(g, p, *bufs, out.reshape(NINTS, -1))),
    }
    role, fn = fns[case]
    expect = dq.setdefault("stcal", _bytes(kernels.combine_dq(p, g, rules="stcal", threads=1)))
    goals = [("np", 2.0)] if case == "ramps threads=1" else []
    _case(benchmark, DQ_ST, case, role, fn, _dq_bytes(), DQ_NOTE, expect=expect, goals=goals)


# --------------------------------------------------------------------------- ERR


@pytest.fixture(scope="module")
def var():
    """Three variance planes the size of one integration block (N values each)."""
    rng = np.random.default_rng(3)
    a, b, c = (rng.random(N, dtype=np.float32) * 100 for _ in range(3))
    return {"f32": (a, b, c), "f16": tuple(v.astype(np.float16) for v in (a, b, c)),
            "f32be": tuple(v.astype(">f4") for v in (a, b, c))}


ERR32 = "err_from_variances f32 x3 -> f32"
ERR32BE = "err_from_variances >f4 x3 -> f32"
GROUP_NOTES[ERR32BE] = ("big-endian float32 inputs as FITS stores them (what recompute_err "
                        "reads from the memory map); ramps swaps bytes as it loads, numpy's "
                        "ufuncs swap into a buffer first")
ERR16 = "err_from_variances f16 x3 -> f32"
ERR1616 = "err_from_variances f16 x3 -> f16"


def _np_err_out(a, b, c, o, o_final=None):
    np.add(a, b, out=o, dtype=np.float32)
    np.add(o, c, out=o)
    return np.sqrt(o, out=o if o_final is None else o_final)


def _np_err_blocked(a, b, c, o, out, blk=1 << 15):
    """add/add/sqrt on cache-sized pieces: one pass over memory, like the C kernel."""
    for s in range(0, a.size, blk):
        e = min(s + blk, a.size)
        t = o[: e - s]
        np.add(a[s:e], b[s:e], out=t)
        np.add(t, c[s:e], out=t)
        np.sqrt(t, out=out[s:e])
    return out


ERR_CASES = ["ramps threads=1", "ramps threads=2", "numpy sqrt(a + b + c)",
             "numpy add/add/sqrt with out=", "numpy add/add/sqrt with out=, 32Ki blocks"]


def _err_f32_case(benchmark, var, case, key, group, goals):
    """One ERR row over var[key]: native ("f32") or big-endian ("f32be") inputs holding
    the same values, so both must give the bits of numpy's sqrt(a + b + c)."""
    a, b, c = var[key]
    out = np.empty(N, np.float32)
    o = np.empty(N, np.float32)
    fns = {
        "ramps threads=1": ("ramps", lambda: kernels.err_from_variances(a, b, c, out=out, threads=1)),
        "ramps threads=2": ("ramps", lambda: kernels.err_from_variances(a, b, c, out=out, threads=2)),
        "numpy sqrt(a + b + c)": ("numpy", lambda: np.sqrt(a + b + c)),
        "numpy add/add/sqrt with out=": ("numpy", lambda: _np_err_out(a, b, c, o)),
        "numpy add/add/sqrt with out=, 32Ki blocks": (
            "numpy", lambda: _np_err_blocked(a, b, c, o, out)),
    }
    role, fn = fns[case]
    fa, fb, fc = var["f32"]
    expect = var.setdefault("e32", _bytes(np.sqrt(fa + fb + fc)))
    _case(benchmark, group, case, role, fn, 16 * N, "3 inputs + output bytes (16/value)",
          expect=expect, goals=goals if case == "ramps threads=1" else [])


@pytest.mark.parametrize("case", ERR_CASES)
def test_err_f32(benchmark, var, case):
    _err_f32_case(benchmark, var, case, "f32", ERR32,
                  [("numpy add/add/sqrt with out=", 2.0), ("np", 2.0)])


@pytest.mark.parametrize("case", ERR_CASES)
def test_err_f32be(benchmark, var, case):
    _err_f32_case(benchmark, var, case, "f32be", ERR32BE, [("np", 2.0)])


@pytest.mark.parametrize("case", [
    "ramps threads=1", "ramps threads=2", "numpy sqrt(a.astype(f32) + b + c)",
    "numpy add(a, b, dtype=f32, out=)/add/sqrt with out=",
])
def test_err_f16(benchmark, var, case):
    a, b, c = var["f16"]
    out = np.empty(N, np.float32)
    o = np.empty(N, np.float32)
    fns = {
        "ramps threads=1": ("ramps", lambda: kernels.err_from_variances(a, b, c, out=out, threads=1)),
        "ramps threads=2": ("ramps", lambda: kernels.err_from_variances(a, b, c, out=out, threads=2)),
        "numpy sqrt(a.astype(f32) + b + c)": (
            "numpy", lambda: np.sqrt(a.astype(np.float32) + b + c)),
        "numpy add(a, b, dtype=f32, out=)/add/sqrt with out=": (
            "numpy", lambda: _np_err_out(a, b, c, o)),
    }
    role, fn = fns[case]
    expect = var.setdefault("e16", _bytes(np.sqrt(a.astype(np.float32) + b + c)))
    _case(benchmark, ERR16, case, role, fn, 10 * N, "3 inputs + output bytes (10/value)",
          expect=expect)


@pytest.mark.parametrize("case", [
    "ramps threads=1", "ramps threads=2", "numpy add/add/sqrt(out=f16) with out=",
])
def test_err_f16_f16(benchmark, var, case):
    a, b, c = var["f16"]
    out = np.empty(N, np.float16)
    o = np.empty(N, np.float32)
    fns = {
        "ramps threads=1": ("ramps", lambda: kernels.err_from_variances(
            a, b, c, out=out, threads=1)),
        "ramps threads=2": ("ramps", lambda: kernels.err_from_variances(
            a, b, c, out=out, threads=2)),
        "numpy add/add/sqrt(out=f16) with out=": ("numpy", lambda: _np_err_out(a, b, c, o, out)),
    }
    role, fn = fns[case]
    expect = var.setdefault(
        "e1616", _bytes(np.sqrt(a.astype(np.float32) + b + c).astype(np.float16)))
    _case(benchmark, ERR1616, case, role, fn, 8 * N, "3 inputs + output bytes (8/value)",
          expect=expect)


# --------------------------------------------------------------------------- checksum

CSUM = "fits_checksum"


def _astropy_checksum():
    from astropy.io import fits

    hdu = fits.ImageHDU()
    return lambda buf: int(hdu._compute_checksum(buf))


def _np_checksum(buf):
    s = int(np.add.reduce(buf.view(">u4"), dtype=np.uint64))
    while s >> 32:
        s = (s & 0xFFFFFFFF) + (s >> 32)
    return s


@pytest.mark.parametrize("case", [
    "ramps threads=1", "ramps threads=2", "astropy _ValidHDU._compute_checksum",
    "numpy add.reduce(buf.view('>u4'), dtype=u8) + fold",
])
def test_checksum(benchmark, raw16, case):
    buf = np.ascontiguousarray(raw16["f32"]).view(np.uint8)  # 4N bytes of data
    astropy_cs = _astropy_checksum()
    fns = {
        "ramps threads=1": ("ramps", lambda: kernels.fits_checksum(buf, threads=1)),
        "ramps threads=2": ("ramps", lambda: kernels.fits_checksum(buf, threads=2)),
        "astropy _ValidHDU._compute_checksum": ("numpy", lambda: astropy_cs(buf)),
        "numpy add.reduce(buf.view('>u4'), dtype=u8) + fold": ("numpy", lambda: _np_checksum(buf)),
    }
    role, fn = fns[case]
    expect = raw16.setdefault("csum", astropy_cs(buf))
    _case(benchmark, CSUM, case, role, fn, 4 * N, "input bytes", expect=expect)
