"""Parse and format JWST science product file names.

Two schemes exist (JWST pipeline docs, "File Naming Schemes"):

Exposure-based names (stages 0-2), one exposure on one detector::

    jw<ppppp><ooo><vvv>_<gg><s><aa>_<eeeee>[-seg<NNN>]_<detector>[_<acid>]_<prodType>.fits
    jw02734002001_04101_00001-seg002_nrcalong_uncal.fits

Source-based stage 3 names, combining many exposures::

    jw<ppppp>-<acid>_<t<TargID>|s<SourceID>>[-epoch<X>]_<instr>_<optElements>[-<subarray>]_<prodType>[-<ACT_ID>].fits
    jw01523-o010_t010_miri_f1800w-sub64_i2d.fits

Rules chosen where the documentation is loose or ambiguous:

* Names are all lower case (the docs say so); upper case is rejected.
* Extensions ``.fits``, ``.asdf``, ``.ecsv`` and ``.json`` are accepted for both
  schemes (stage 3 catalogs are ``.ecsv``); the extension is kept for round trips.
* Numeric identifiers are kept as zero-padded strings, exactly as in the file
  name and in the FITS header keywords (PROGRAM, OBSERVTN, VISIT, VISITGRP,
  SEQ_ID, ACT_ID, EXPOSURE).  Only ``segment`` and ``epoch`` are ints.
* ``activity`` is base 36: two characters from ``0-9a-z`` (e.g. ``0210n``).
* The segment is ``-seg`` + exactly 3 digits, 1-indexed (``seg000`` is invalid).
* ``detector`` is any lowercase alphanumeric word starting with a letter
  (nrca1, nrcalong, mirimage, nrs1, nis, guider1, ...); not checked against a list.
* Exposure names may carry an association candidate between detector and
  product type (stage 3 intermediates such as ``..._mirifulong_o003_crf.fits``);
  it is recognised only if it looks like one (``oNNN``, ``cNNNN``, ``aNNNN``,
  ``rNNNN``) and something follows it.  Exposure product types may contain
  ``_`` (step outputs such as ``dark_current``); stage 3 product types may not.
* A first field containing ``-`` (``jw01523-o010``) selects the stage 3 scheme.
* Stage 3 target/source: ``t`` + 3 digits, or ``s``/``b``/``v`` + 5 digits
  (older docs) or 9 digits (current docs).  Epoch: ``-epoch`` + one digit.
* Stage 3 instrument must be one of fgs, miri, nircam, niriss, nirspec.
* Optical elements vs subarray: the optical-element field is split on ``-``.
  Its last element is taken as the subarray only if there are at least two
  elements and the last one looks like a subarray name: ``sub*`` (sub64,
  subs200a1, substrip96, subgrism256, ...), ``full*``, MIRI ``mask<digits>``,
  ``masklyot``, ``brightsky``, ``slitlessprism``, ``allslits`` or NIRISS
  ``wfss<digits>r|c``.  NIRCam pupils such as ``maskrnd``/``maskbar`` therefore
  stay optical elements.  Any other trailing element (e.g. ``nrm`` in
  ``f480m-nrm``) is an optical element; formatting re-joins with ``-``, so the
  name round-trips exactly whichever way an element is classified.
* The docs example ``jw54321-o066_s000123456_nirspec_f170lp_g235m_s2d.fits``
  separates optical elements with ``_``, contradicting the rule that ``_`` only
  separates major fields; such names are rejected.
"""

from __future__ import annotations

import os
import re
from typing import TypeVar, Union, overload

from ramps.naming.names import (
    _CANDIDATE,
    _SUBARRAY,
    EXTENSIONS,
    INSTRUMENTS,
    ExposureName,
    FileNameError,
    Stage3Name,
)

__all__ = [
    "EXTENSIONS",
    "INSTRUMENTS",
    "ExposureName",
    "FileNameError",
    "JWSTName",
    "Stage3Name",
    "parse",
    "segment_name",
    "with_product_type",
    "with_segment",
]

JWSTName = Union[ExposureName, Stage3Name]
_N = TypeVar("_N", ExposureName, Stage3Name)

_EXPOSURE_LAYOUT = "jw<ppppp><ooo><vvv>_<gg><s><aa>_<eeeee>[-segNNN]_<detector>_<prodType>"
_STAGE3_LAYOUT = "jw<ppppp>-<acid>_<tNNN|sNNNNN>[-epochN]_<instr>_<optElements>[-<subarray>]_<prodType>[-<ACT_ID>]"


def parse(name_or_path: str | os.PathLike[str]) -> JWSTName:
    """Parse a JWST file name (a path is accepted; only its base name is used).

    Returns an :class:`ExposureName` or a :class:`Stage3Name`; raises
    :class:`FileNameError` naming the string and the part that is wrong.
    """
    name = os.path.basename(os.fspath(name_or_path))
    if name != name.lower():
        raise FileNameError(name, "JWST file names are lower case")
    ext = next((e for e in EXTENSIONS if name.endswith(e)), None)
    if ext is None:
        found = os.path.splitext(name)[1]
        problem = f"extension {found!r} is not" if found else "missing extension; expected"
        raise FileNameError(name, f"{problem} one of {', '.join(EXTENSIONS)}")
    stem = name[: -len(ext)]
    if not stem.startswith("jw"):
        raise FileNameError(name, "must start with 'jw'")
    fields = stem.split("_")
    if "" in fields:
        raise FileNameError(name, "empty field (doubled, leading or trailing '_')")
    try:
        if "-" in fields[0]:
            return _parse_stage3(name, fields, ext)
        return _parse_exposure(name, fields, ext)
    except FileNameError as exc:
        if exc.name == name:
            raise
        raise FileNameError(name, exc.problem) from None


def _parse_exposure(name: str, fields: list[str], ext: str) -> ExposureName:
    if len(fields) < 5:
        raise FileNameError(name, f"expected {_EXPOSURE_LAYOUT}, found {len(fields)} '_'-separated fields")
    ids, act, expo, detector, *rest = fields
    m_ids = re.fullmatch(r"jw(.{5})(.{3})(.{3})", ids)
    if not m_ids:
        raise FileNameError(name, f"{ids!r} must be 'jw' + 11 digits (program 5, observation 3, visit 3)")
    m_act = re.fullmatch(r"(.{2})(.)(.{2})", act)
    if not m_act:
        raise FileNameError(name, f"{act!r} must be 5 characters: visit group (2), parallel sequence (1), "
                                  "activity (2)")
    m_exp = re.fullmatch(r"([^-]*)(?:-seg(.*))?", expo)
    if not m_exp:
        raise FileNameError(name, f"exposure field {expo!r} must be 5 digits optionally followed by '-segNNN'")
    segment = m_exp.group(2)
    if segment is not None and not re.fullmatch(r"\d{3}", segment):
        raise FileNameError(name, f"segment 'seg{segment}' must be 'seg' + 3 digits")
    candidate = rest.pop(0) if len(rest) > 1 and _CANDIDATE.fullmatch(rest[0]) else None
    return ExposureName(*m_ids.groups(), *m_act.groups(), m_exp.group(1), detector, "_".join(rest),
                        segment=None if segment is None else int(segment), asn_candidate=candidate,
                        extension=ext)


def _parse_stage3(name: str, fields: list[str], ext: str) -> Stage3Name:
    if len(fields) != 5:
        raise FileNameError(name, f"expected {_STAGE3_LAYOUT} (5 '_'-separated fields), found {len(fields)}")
    head, src, instrument, opt, prod = fields
    program, candidate = head[2:].split("-", 1)
    m_src = re.fullmatch(r"([^-]*)(?:-epoch(.*))?", src)
    if not m_src:
        raise FileNameError(name, f"target/source field {src!r} must be tNNN or sNNNNN, optionally "
                                  "followed by '-epochN'")
    epoch = m_src.group(2)
    if epoch is not None and not re.fullmatch(r"\d", epoch):
        raise FileNameError(name, f"epoch 'epoch{epoch}' must be 'epoch' + 1 digit")
    elements = opt.split("-")
    subarray = elements.pop() if len(elements) > 1 and _SUBARRAY.fullmatch(elements[-1]) else None
    product_type, dash, activity = prod.partition("-")
    return Stage3Name(program, candidate, m_src.group(1), instrument, tuple(elements), product_type,
                      subarray=subarray, epoch=None if epoch is None else int(epoch),
                      activity=activity if dash else None, extension=ext)


def _as_name(name: str | os.PathLike[str] | JWSTName) -> JWSTName:
    return name if isinstance(name, (ExposureName, Stage3Name)) else parse(name)


@overload
def with_product_type(name: _N, product_type: str, *, extension: str | None = None) -> _N: ...
@overload
def with_product_type(name: str | os.PathLike[str], product_type: str, *,
                      extension: str | None = None) -> str: ...
def with_product_type(name, product_type, *, extension=None):  # type: ignore[no-untyped-def]
    """Return ``name`` with another product type, everything else unchanged.

    A parsed record gives a record; a string or path gives the new file name
    (base name only), e.g. ``with_product_type("jw..._uncal.fits", "ramp")``
    -> ``"jw..._ramp.fits"``.  ``extension`` optionally changes the extension.
    """
    new = _as_name(name).with_product_type(product_type, extension=extension)
    return new if isinstance(name, (ExposureName, Stage3Name)) else new.format()


@overload
def with_segment(name: ExposureName, segment: int | None) -> ExposureName: ...
@overload
def with_segment(name: str | os.PathLike[str], segment: int | None) -> str: ...
def with_segment(name, segment):  # type: ignore[no-untyped-def]
    """Return an exposure name with segment ``segment`` (1..999) or without one (``None``).

    A record gives a record; a string or path gives the new file name.  Stage 3
    names have no segments and raise :class:`FileNameError`.
    """
    parsed = _as_name(name)
    if not isinstance(parsed, ExposureName):
        raise FileNameError(parsed.format(), "stage 3 products are not segmented")
    new = parsed.with_segment(segment)
    return new if isinstance(name, ExposureName) else new.format()


_SEG_MARK = re.compile(r"-seg\d{3}")


def segment_name(name: str | os.PathLike[str], segment: int | None) -> str:
    """The file name (no directory) of segment ``segment`` of ``name``, for any name.

    The one naming rule for segment files: a JWST exposure name gets its
    ``-segNNN`` field set (:func:`with_segment`); any other name (stage 3,
    upper case, outside the grammar) has its one ``-segNNN`` mark replaced or,
    when it has none, ``-segNNN`` appended before the extension
    (``big_ramp.fits`` -> ``big_ramp-seg002.fits``).  ``segment=None`` removes
    the mark.  Distinct segments therefore always get distinct names.
    """
    base = os.path.basename(os.fspath(name))
    try:
        return with_segment(base, segment)
    except FileNameError:
        pass
    if segment is not None and (type(segment) is not int or not 1 <= segment <= 999):
        raise FileNameError(base, f"segment {segment!r} must be an integer in 1..999")
    mark = "" if segment is None else f"-seg{segment:03d}"
    if len(_SEG_MARK.findall(base)) == 1:
        return _SEG_MARK.sub(mark, base)
    ext = next((e for e in EXTENSIONS if base.endswith(e)), os.path.splitext(base)[1])
    stem = base[: len(base) - len(ext)] if ext else base
    return f"{stem}{mark}{ext}"
