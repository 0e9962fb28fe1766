"""Hand-built FITS bytes and the one list of operations every hostile file is put through.

:func:`card` / :func:`header` / :func:`padded` build FITS files byte by byte (so a
test can write what no library would: XTENSION='FOO', NAXIS2=0 ASDF tables, absurd
NAXISn ...).  :func:`exercise` opens a file with ramps and does everything a user
may do with it, HDU by HDU; it returns what happened to each operation ("ok" or
the exception's class name) and the arrays read, and lets through only ramps'
typed errors (:class:`ramps.errors.RampsError`): any other exception escapes, as
it would in a user's program.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

BLOCK = 2880


def card(key: str, value: Any = None, comment: str = "") -> bytes:
    """One 80-byte card; ``value`` None gives a commentary card (``key`` alone)."""
    if value is None:
        text = key
    elif isinstance(value, bool):
        text = f"{key:<8}= {'T' if value else 'F':>20}"
    elif isinstance(value, str):
        quoted = "'" + value.replace("'", "''").ljust(8) + "'"
        text = f"{key:<8}= {quoted:<20}"
    else:
        text = f"{key:<8}= {value!s:>20}"
    if comment:
        text += f" / {comment}"
    return text.ljust(80)[:80].encode("ascii")


def header(*cards: bytes, end: bool = True) -> bytes:
    """Cards + END, padded with blanks to whole 2880-byte blocks."""
    raw = b"".join(cards) + (card("END") if end else b"")
    return raw + b" " * (-len(raw) % BLOCK)


def padded(data: bytes) -> bytes:
    return data + b"\0" * (-len(data) % BLOCK)


def primary(*extra: bytes) -> bytes:
    return header(card("SIMPLE", True), card("BITPIX", 8), card("NAXIS", 0),
                  card("EXTEND", True), *extra)


def image(name: str, data: np.ndarray, *extra: bytes, pcount: int = 0, gcount: int = 1) -> bytes:
    """An IMAGE extension of ``data`` (written big-endian), with any extra cards."""
    big = np.ascontiguousarray(data, data.dtype.newbyteorder(">"))
    bitpix = {"i": 8 * big.itemsize, "u": 8 * big.itemsize, "f": -8 * big.itemsize}[big.dtype.kind]
    axes = [card(f"NAXIS{i + 1}", n) for i, n in enumerate(big.shape[::-1])]
    return header(card("XTENSION", "IMAGE"), card("BITPIX", bitpix), card("NAXIS", big.ndim),
                  *axes, card("PCOUNT", pcount), card("GCOUNT", gcount),
                  card("EXTNAME", name), *extra) + padded(big.tobytes())


def asdf_table(blob: bytes, *, naxis2: int = 1, gcount: int = 1, tform: str | None = None,
               data: bytes | None = None) -> bytes:
    """The one-row ``ASDF_METADATA`` BINTABLE stdatamodels writes, with its structural
    values overridable (``naxis2``, ``gcount``, ``tform``) and its data unit given."""
    n = len(blob)
    cards = [card("XTENSION", "BINTABLE"), card("BITPIX", 8), card("NAXIS", 2),
             card("NAXIS1", n), card("NAXIS2", naxis2), card("PCOUNT", 0),
             card("GCOUNT", gcount), card("TFIELDS", 1), card("TTYPE1", "ASDF_METADATA"),
             card("TFORM1", tform or f"{n}B"), card("EXTNAME", "ASDF")]
    return header(*cards) + padded(blob if data is None else data)


def asdf_blob(yaml_body: str) -> bytes:
    """An ASDF file holding ``yaml_body`` (the lines under ``--- !core/asdf-1.1.0``)."""
    return ("#ASDF 1.0.0\n#ASDF_STANDARD 1.5.0\n%YAML 1.1\n%TAG ! tag:stsci.edu:asdf/\n"
            "--- !core/asdf-1.1.0\n" + yaml_body.rstrip("\n") + "\n...\n").encode("ascii")


# ---------------------------------------------------------------------------
# hostile metadata trees: alias bombs, cycles, huge lists, in JWST and Roman files
# ---------------------------------------------------------------------------
def alias_bomb(levels: int = 9, width: int = 9, indent: str = "") -> str:
    """YAML lines of a "billion laughs" mapping ``laughs``: level 0 a list of ``width``
    strings, each next level ``width`` aliases of the previous (width**levels strings
    once expanded, about 1 KB as stored)."""
    body = f"{indent}laughs:\n{indent}  l0: &l0 [" + ", ".join(["'ha ha ha ha'"] * width) + "]\n"
    for k in range(1, levels):
        body += f"{indent}  l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * width) + "]\n"
    return body


def alias_cycle(indent: str = "") -> str:
    """YAML lines of a list that holds itself (PyYAML builds the cycle)."""
    return f"{indent}cyc: &cyc [1, *cyc]\n"


def huge_list(n: int, indent: str = "") -> str:
    """YAML lines of a list of ``n`` scalars."""
    return f"{indent}big: [" + ",".join(["1"] * n) + "]\n"


def jwst_file(path, kind: str = "uncal", yaml_lines: str = "") -> bytes:
    """A small valid JWST ``kind`` product written by ramps, with ``yaml_lines`` (indented
    for ``meta``: two spaces) added under ``meta`` of its ASDF extension's tree."""
    import ramps
    from astropy.io import fits

    rng = np.random.default_rng(7)
    meta = {"meta": {"instrument": {"name": "NIRCAM", "detector": "NRCALONG"},
                     "exposure": {"type": "NRC_IMAGE", "nints": 2, "ngroups": 3}}}
    if kind == "uncal":
        arrays = {"SCI": rng.integers(0, 65535, (2, 3, 8, 10), dtype=np.uint16)}
    else:
        f = rng.random((8, 10), dtype=np.float32)
        arrays = {"SCI": f, "ERR": f, "DQ": np.zeros(f.shape, np.uint32), "VAR_POISSON": f,
                  "VAR_RNOISE": f}
    ramps.write(path, kind, arrays, meta=meta, overwrite=True)
    if yaml_lines:
        raw = open(path, "rb").read()
        with ramps.open(path) as p:
            info = p.hdu("ASDF")
            end = info.data_offset + info.data_size + (-info.data_size % BLOCK)
        with fits.open(path) as hdul:
            blob = hdul["ASDF"].data["ASDF_METADATA"][0].tobytes()
        at = blob.index(b"\nmeta:\n") + len(b"\nmeta:\n")
        blob = blob[:at] + yaml_lines.encode() + blob[at:]
        open(path, "wb").write(raw[:info.header_offset] + asdf_table(blob) + raw[end:])
    return open(path, "rb").read()


def roman_file(path, yaml_lines: str = "", under_meta: bool = False,
               shape: tuple = (8, 8), replace: dict | None = None) -> bytes:
    """A small Roman ImageModel file (roman_datamodels' fake data), with ``yaml_lines``
    added to its tree: at the root (no indent), or under ``roman.meta`` (four spaces)
    with ``under_meta``; ``replace``: {old text: new text} in the tree.  The block index
    is dropped (its offsets would be off); readers find the blocks without it."""
    import roman_datamodels.datamodels as rdm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rdm.ImageModel.create_fake_data(shape=shape).save(str(path))
    raw = open(path, "rb").read()
    if yaml_lines or replace:
        end = raw.index(b"\n...\n")
        for old, new in (replace or {}).items():
            raw = raw[:end].replace(old.encode(), new.encode()) + raw[end:]
            end = raw.index(b"\n...\n")
        at = raw.index(b"\n  meta:\n") + 9 if under_meta else end + 1
        rest = raw[end:]
        rest = rest[:rest.index(b"#ASDF BLOCK INDEX")] if b"#ASDF BLOCK INDEX" in rest else rest
        raw = raw[:at] + yaml_lines.encode() + raw[at:end] + rest
        open(path, "wb").write(raw)
    return raw


def _typed(results: dict, name: str, fn, *args, **kw) -> Any:
    """Run one operation; record "ok" or the ramps error's class; re-raise any other."""
    from ramps.errors import RampsError

    try:
        out = fn(*args, **kw)
    except RampsError as e:
        results[name] = type(e).__name__
        return None
    results[name] = "ok"
    return out


def exercise(path: str, *, arrays: bool = True) -> tuple[dict[str, str], dict[int, np.ndarray]]:
    """Open ``path`` and do everything a user may do with it.

    Returns ({operation: "ok" or the RampsError subclass raised}, {HDU index: the
    image read with ``p.read``}).  Any exception other than a RampsError escapes."""
    import ramps

    results: dict[str, str] = {}
    images: dict[int, np.ndarray] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = _typed(results, "open", ramps.open, path)
        if p is None:
            return results, images
        with p:
            _typed(results, "extensions", lambda: p.extensions)
            _typed(results, "info", p.info, output=False)
            _typed(results, "validate", p.validate)
            _typed(results, "meta", lambda: p.meta)
            _typed(results, "checksums", p.verify_checksums)
            if getattr(p, "format", "fits") == "asdf":  # arrays and tables by name
                for name in p.names:
                    _typed(results, f"read {name}", p.read, name)
                    _typed(results, f"getitem {name}", p.__getitem__, name)
                for name in p.tables:
                    _typed(results, f"table {name}", p.__getitem__, name)
                return results, images
            for info in p.hdus:
                i = info.index
                _typed(results, f"header {i}", p.header, i)
                _typed(results, f"getitem {i}", p.__getitem__, i)
                if info.kind in ("BINTABLE", "TABLE"):
                    _typed(results, f"table {i}", p.table, i)
                if info.kind in ("IMAGE", "PRIMARY") and arrays:
                    got = _typed(results, f"read {i}", p.read, i)
                    if got is not None:
                        images[i] = got
                    if len(info.shape) >= 1 and info.shape[0]:
                        lazy = _typed(results, f"lazy {i}", p.lazy, i)
                        if lazy is not None:
                            _typed(results, f"lazy[0] {i}", lazy.__getitem__, 0)
    return results, images


# ---------------------------------------------------------------------------
# writers run in forkserver children, to be killed (tests/test_atomic.py ...)
# ---------------------------------------------------------------------------
def atomic_write_data() -> np.ndarray:
    """The SCI written by :func:`atomic_write_job` (12 MiB of uint16)."""
    return (np.arange(2 * 3 * 1024 * 1024, dtype=np.uint32) % 65521).astype(np.uint16) \
        .reshape(2, 3, 1024, 1024)


def write_uncal(path, sci: np.ndarray, **kw) -> None:
    import ramps

    ramps.write(path, "uncal", {"SCI": sci}, overwrite=True, checksum=True, **kw)


def atomic_write_job(target: str, named: bool, overwrite: bool, conn) -> None:
    """Write :func:`atomic_write_data` to ``target`` with checksums; says "go" through
    ``conn`` just before writing and "done" after."""
    import ramps
    from ramps.sources import atomic

    if named:
        atomic.O_TMPFILE = None
    sci = atomic_write_data()
    conn.send("go")
    ramps.write(target, "uncal", {"SCI": sci}, overwrite=overwrite, checksum=True)
    conn.send("done")


def race_write_job(target: str, seed: int, barrier, conn) -> None:
    """Write a small rate product to ``target`` without overwrite once every racer is
    at ``barrier``; sends "won" or the exception's class name through ``conn``."""
    import ramps

    s = np.full((64, 64), seed, np.float32)
    arrays = {"SCI": s, "ERR": s, "DQ": np.zeros((64, 64), np.uint32), "VAR_POISSON": s,
              "VAR_RNOISE": s}
    barrier.wait()
    try:
        ramps.write(target, "rate", arrays)
        conn.send("won")
    except Exception as e:  # noqa: BLE001 - reported to the parent
        conn.send(type(e).__name__)


def convert_job(argv: list, conn) -> None:
    """``ramps.convert argv`` in a forkserver child; says "go" first, then the exit status."""
    from ramps.convert import cli

    conn.send("go")
    conn.send(cli.convert_main(argv))


# ---------------------------------------------------------------------------
# every step a user takes, each hostile file in a child with a time and memory limit
# ---------------------------------------------------------------------------
class _Timeout(BaseException):
    """A step ran past its time limit (raised by SIGALRM in the child)."""


def _outcome(fn) -> Any:
    """"ok" (or what ``fn`` returns, when not None), the RampsError's class name, or
    "ESCAPED <type>: <message>" for any other exception, "TIMEOUT" past the limit."""
    from ramps.errors import RampsError

    try:
        out = fn()
    except _Timeout:
        return "TIMEOUT"
    except RampsError as e:
        return type(e).__name__
    except BaseException as e:  # noqa: BLE001 - an untyped error is the finding
        return f"ESCAPED {type(e).__name__}: {str(e)[:300]}"
    return "ok" if out is None else out


def _convert(argv: list) -> dict:
    """``ramps.convert argv``: its exit status and the errors it reported (class names,
    "ESCAPED ..." for any that is not a RampsError)."""
    import contextlib
    import io

    from ramps.convert import cli
    from ramps.errors import RampsError

    seen: list[str] = []
    explain = cli._explain

    def record(e, job):
        seen.append(type(e).__name__ if isinstance(e, RampsError)
                    else f"ESCAPED {type(e).__name__}: {str(e)[:300]}")
        return explain(e, job)

    cli._explain = record
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            code = cli.convert_main([*argv, "--quiet", "--overwrite"])
    finally:
        cli._explain = explain
    return {"exit": code, "errors": seen}


def _check(path: str) -> dict:
    """The FormatWarnings of opening ``path`` and the problems validate() reports."""
    import ramps

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ramps.open(path) as p:
            problems = [str(x) for x in p.validate()]
    return {"warnings": [str(w.message) for w in caught
                         if issubclass(w.category, ramps.FormatWarning)],
            "problems": problems}


def run_steps(case: dict, folder: str) -> dict:
    """Every step ``case["steps"]`` names, on ``case["path"]``, each within
    ``case["seconds"]`` (SIGALRM): {step: outcome}."""
    import contextlib
    import io
    import os
    import signal

    import ramps
    from ramps.convert import cli

    path, out = case["path"], os.path.join(folder, case["name"])
    os.makedirs(out, exist_ok=True)

    def alarm(*_):
        raise _Timeout()

    def model_and_save():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = ramps.open_model(path)
            if path.endswith(".asdf"):
                ramps.save(m, os.path.join(out, "saved.asdf"), overwrite=True)

    def info():
        with contextlib.redirect_stdout(io.StringIO()):
            return f"exit {cli.info_main([path])}"

    def roundtrip():
        there = _convert([path, "--to", "asdf", "-o", out])
        if there["exit"] == 0:
            back = os.path.join(out, os.path.basename(path)[:-5] + ".asdf")
            there["back"] = _convert([back, "--to", "fits", "-o", os.path.join(out, "back")])
        return there

    steps = {
        "exercise": lambda: exercise(path)[0],
        "open_model": model_and_save,
        "info": info,
        "check": lambda: _check(path),
        "to_asdf": roundtrip,
        "to_ramp": lambda: _convert([path, "-o", out]),
    }
    old = signal.signal(signal.SIGALRM, alarm)
    results = {}
    try:
        for step in case["steps"]:
            signal.alarm(case.get("seconds", 10))
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    results[step] = _outcome(steps[step])
            finally:
                signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, old)
    return results


def main(spec_path: str) -> None:
    """Run the cases of a JSON spec ({"cases", "folder", "address_space", "budget"}),
    printing one JSON line per case, then "ALL DONE"."""
    import json
    import resource

    spec = json.loads(open(spec_path).read())
    limit = spec["address_space"]
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from ramps.specs import walk

    walk.MAX_TREE_NODES = spec["budget"]  # a small budget, so that "huge" stays small
    import ramps.bridge.jwst  # noqa: F401 - the reference libraries load before the clock
    import ramps.bridge.roman  # noqa: F401
    import roman_datamodels.datamodels  # noqa: F401
    import stdatamodels.jwst.datamodels  # noqa: F401

    for case in spec["cases"]:
        print("START", case["name"], flush=True)
        print(json.dumps({"name": case["name"], **run_steps(case, spec["folder"])},
                         default=str), flush=True)
    print("ALL DONE", flush=True)


if __name__ == "__main__":
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main(sys.argv[1])
