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
            _typed(results, "info", p.info, False)
            _typed(results, "validate", p.validate)
            _typed(results, "meta", lambda: p.meta)
            _typed(results, "checksums", p.verify_checksums)
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
