"""FITS DATASUM and CHECKSUM verification over a byte source and its structure index.

The FITS Standard (Appendix J) stores two 32-bit ones'-complement sums per HDU:
``DATASUM``, the sum of the data unit (as a decimal string), and ``CHECKSUM``,
16 characters that make the sum of the whole HDU (header with that card, plus
data) come to -0 (all ones).  Verifying reads every byte once through the C
kernel (:func:`ramps.kernels.fits_checksum`, all cores) straight from the
memory map; header cards are read raw, without building astropy Headers.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ramps import kernels
from ramps.errors import ChecksumError, FormatError, FormatWarning
from ramps.fits.index import HDUInfo, card_value
from ramps.sources import ByteSource

__all__ = ["VERIFY_MODES", "ChecksumError", "HDUChecksum", "data_sum", "verify", "verify_mode"]

_ALL_ONES = 0xFFFFFFFF


@dataclass(frozen=True)
class HDUChecksum:
    """What verification found for one HDU.

    ``datasum``/``checksum``: True (matches), False (does not) or None (the
    keyword is absent).  ``computed_datasum`` is the sum of the data unit;
    ``problem`` says what does not match ("" when nothing).
    """

    extension: str
    datasum: bool | None
    checksum: bool | None
    computed_datasum: int
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.datasum is not False and self.checksum is not False


def data_sum(src: ByteSource, info: HDUInfo, threads: int | None = None) -> int:
    """The DATASUM of one HDU's data unit, its padding included (zero bytes
    missing at the very end of a file count as the zeros they stand for)."""
    span = min(info.data_span, max(src.size - info.data_offset, 0))
    if span < info.data_size:  # the data themselves are cut short
        src.view(info.data_offset, info.data_size)  # raises TruncatedFileError
    whole = span // 4 * 4
    total = kernels.fits_checksum(src.view(info.data_offset, whole), threads=threads) \
        if whole else 0
    if span > whole:
        tail = src.read(info.data_offset + whole, span - whole).ljust(4, b"\0")
        total = kernels.fits_checksum(tail, initial=total)
    return total


def check_hdu(src: ByteSource, info: HDUInfo, threads: int | None = None) -> HDUChecksum:
    """Verify one HDU's DATASUM and CHECKSUM keywords (those present)."""
    header = src.read(info.header_offset, info.header_size)
    computed = data_sum(src, info, threads)
    datasum_kw = card_value(header, "DATASUM")
    checksum_kw = card_value(header, "CHECKSUM")
    datasum_ok = checksum_ok = None
    if datasum_kw is not None:  # blank-padded either side: CFITSIO right-aligns '         0'
        value = datasum_kw.strip(" ")
        datasum_ok = value.isdigit() and value.isascii() and int(value) == computed
    if checksum_kw is not None:
        hdu_sum = kernels.fits_checksum(np.frombuffer(header, np.uint8), initial=computed)
        checksum_ok = hdu_sum == _ALL_ONES
    parts = []
    if datasum_ok is False:
        parts.append(f"DATASUM is {datasum_kw!r} in the header but the data unit sums to "
                     f"{computed}: the data changed after it was written")
    if checksum_ok is False:
        parts.append("CHECKSUM does not make the HDU sum to -0: "
                     + ("the header or the data" if datasum_ok is None else
                        "the header" if datasum_ok else "the data")
                     + " changed after it was written")
    return HDUChecksum(info.label, datasum_ok, checksum_ok, computed, "; ".join(parts))


def verify(src: ByteSource, hdus: list[HDUInfo], *, required: bool = False,
           threads: int | None = None, warn: bool = False) -> list[HDUChecksum]:
    """Verify every HDU of ``hdus`` (the index of ``src``) that carries DATASUM or CHECKSUM.

    Returns one :class:`HDUChecksum` per HDU.  Raises :class:`ChecksumError`
    naming the file and the first failing extension (and listing all) when a
    keyword does not match, or, with ``required=True``, when an HDU has
    neither keyword; with ``warn=True`` a :class:`FormatWarning` says the same and
    the results are returned.
    """
    results, failures = [], []
    for info in hdus:
        try:
            r = check_hdu(src, info, threads)
        except FormatError as e:  # truncated, or shrunk while open: name the extension
            raise e.at(info.label) from None
        results.append(r)
        if not r.ok:
            failures.append((r.extension, r.problem))
        elif required and r.datasum is None and r.checksum is None:
            failures.append((r.extension, "no DATASUM or CHECKSUM keyword to verify"))
    if failures:
        first, problem = failures[0]
        if len(failures) > 1:
            problem += f" (and {len(failures) - 1} more: " + ", ".join(
                f"[{e}]" for e, _ in failures[1:]) + ")"
        error = ChecksumError(src.name, problem, first, failures)
        if not warn:
            raise error
        warnings.warn(str(error), FormatWarning, stacklevel=4)
    return results


#: What ``ramps.open(path, verify=...)`` accepts.
VERIFY_MODES = ("ignore", "warn", "exception")


def verify_mode(checksum: bool, verify: str | None) -> str:
    """The verification ``ramps.open`` does: ``verify`` if given (one of
    :data:`VERIFY_MODES`), else "exception" when ``checksum`` is true, else "ignore"."""
    if verify is None:
        return "exception" if checksum else "ignore"
    if verify not in VERIFY_MODES:
        raise ValueError(f"verify must be one of {', '.join(map(repr, VERIFY_MODES))}, "
                         f"not {verify!r}")
    if checksum and verify != "exception":
        raise ValueError(f"checksum=True means verify='exception'; it contradicts "
                         f"verify={verify!r}")
    return verify
