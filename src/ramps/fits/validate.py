"""A product's structure against the product specs: which kind fits, and what does not.

:func:`best_structural_match` names the spec a file's extensions fit best (when
neither DATAMODL nor the file name tells the kind); :func:`validate_product`
lists what a product does not match, as :class:`~ramps.specs.problems.Problem` s with a
severity; :func:`kind_conflict` tells ``ramps.open(kind=...)`` when the
asked kind contradicts the file.  All read only the structure index (names,
EXTVERs, HDU types, dtypes, shapes) and a few raw header cards, never data.

Spec-independent rules hold for any FITS file, a generic product included: the
primary HDU first, no repeated structural card, no truncated padding, no two
extensions with one EXTNAME/EXTVER pair, EXTVER sets without gaps, an ASDF
extension that readers will find.  Spec rules compare the extensions with the seed
table of the kind.  A file stdatamodels writes and validates has no errors (it omits
the extensions of arrays never set, so an absent extension is a note).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ramps import specs
from ramps.fits.index import card_value
from ramps.specs.problems import ERROR, NOTE, Problem, Problems, ValidationError

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from ramps.products.fits import Product  # noqa: F401

__all__ = ["Problem", "Problems", "ValidationError", "best_structural_match",
           "kind_conflict", "validate_product"]


def _by_key(p: Product) -> dict:
    """(EXTNAME, EXTVER) -> HDUInfo of the extensions, the first of any duplicates."""
    return {k: i for i in reversed(p.hdus[1:]) if (k := (i.name.upper(), i.ver))}


def best_structural_match(p: Product, pool: tuple[str, ...]) -> str | None:
    """The kind of ``pool`` whose spec ``p``'s structure fits best; None when none fits
    (every required extension present) -- the caller decides what that means."""
    by_key = _by_key(p)
    names = {n for n, _ in by_key}
    sci = by_key.get(("SCI", 1))
    best, best_score = None, None
    for kind in pool:
        spec = specs.PRODUCTS[kind]
        if spec.format != "fits":
            continue
        required = {e.name for e in spec.required}
        if not required <= names:
            continue
        score = len(names & set(spec.names))
        ext = spec.extension("SCI") if "SCI" in spec.names else None
        if sci is not None and ext is not None:
            if ext.accepted_dims and any(d is not None and len(d) == len(sci.shape)
                                         for d in ext.accepted_dims):
                score += 10
            if ext.accepted_dtypes and str(sci.physical_dtype) in ext.accepted_dtypes:
                score += 5
        score -= len(set(spec.names) - names) * 0.1
        if best_score is None or score > best_score:
            best, best_score = kind, score
    return best


class _Report:
    """Collects problems about one product, each naming the file and the extension."""

    def __init__(self, path: str) -> None:
        self.path, self.items = path, []

    def error(self, ext: str | None, text: str) -> None:
        self.items.append(Problem(ERROR, self.path, ext, text))

    def note(self, ext: str | None, text: str) -> None:
        self.items.append(Problem(NOTE, self.path, ext, text))

    def problems(self) -> Problems:
        return Problems(sorted(self.items, key=lambda p: p.severity != ERROR))  # stable


class _Unclaimed(_Report):
    """The spec rules of a kind the file does not claim (no DATAMODL: told from its name
    or structure): what breaks them is a note, as stdatamodels checks no such claim."""

    def __init__(self, report: _Report, kind: str) -> None:
        self.path, self.items, self.kind = report.path, report.items, kind

    def error(self, ext: str | None, text: str) -> None:
        self.note(ext, f"{text} (no DATAMODL: {self.kind} is a guess from the file name or "
                  "the structure, not a claim of the file)")


def validate_product(p: Product, strict: bool = False) -> Problems:
    """Check ``p`` against the spec-independent rules, then against its spec (if any).

    Returns the :class:`Problems` found (errors first, then notes); with
    ``strict=True`` raises :class:`ValidationError` when there is an error
    (notes never raise).  ``p.spec is None`` (a generic product, a file of no
    known kind) gets the spec-independent rules only.
    """
    report = _Report(p.path)
    spec = getattr(p, "spec", None)
    _check_primary(p, spec, report)
    _check_damage(p, report)
    _check_duplicates(p, report)
    _check_asdf(p, report)
    _check_extver_sets(p, spec, report)
    if spec is not None:
        claimed = getattr(p, "kind_claimed", True)
        _check_spec(p, spec, report if claimed else _Unclaimed(report, spec.kind))
    problems = report.problems()
    if strict and problems.errors:
        raise ValidationError.from_problems(problems)
    return problems


# -- spec-independent rules ---------------------------------------------------------

def _check_primary(p: Product, spec, report: _Report) -> None:
    """HDU 0 must be a primary HDU.  Data in it is only a note: the seeds say NAXIS=0,
    but astropy and ramps read primary data like any other image (``p[0]``)."""
    primary = p.hdus[0]
    if primary.kind == "NONSTANDARD":
        report.note("PRIMARY", "SIMPLE = F: the file says it does not conform to FITS; read "
                    "as astropy reads it, one non-standard HDU whose data are the rest of "
                    "the file")
    elif primary.kind not in ("PRIMARY", "GROUPS"):
        report.error("PRIMARY", f"first HDU is a {primary.kind} HDU, not a primary HDU")
    elif primary.shape and spec is not None:
        report.note("PRIMARY", f"primary HDU has data (NAXIS={len(primary.shape)}); the seeds "
                    "say a product's primary HDU holds only header cards (NAXIS=0)")


def _check_damage(p: Product, report: _Report) -> None:
    """Repeated structural cards; a file ending inside the last HDU's padding."""
    for info in (i for i in p.hdus if i.duplicates):
        report.error(info.label, f"{info.duplicates} repeated structural card(s) (BITPIX, NAXIS, "
                     "NAXISn, PCOUNT, GCOUNT): the last counts, as astropy reads the data")
    last, size = p.hdus[-1], p.source.size
    if last.data_offset + last.data_size <= size < last.data_offset + last.data_span:
        report.error(last.label, f"the file ends inside the padding of this HDU, at byte "
                     f"{size}: truncated? (any later HDU is lost)")


def _check_duplicates(p: Product, report: _Report) -> None:
    """Two extensions with one EXTNAME/EXTVER pair are an error, found on the full HDU
    list: lookups by name (``p["SCI", 2]``, stdatamodels, astropy's ``hdul["SCI", 2]``)
    reach only the first, so the others (slits 2 and 3 of a MultiSlit cal whose slits
    all say EXTVER=1 ...) are silently hidden.  HDUs without EXTNAME are left out:
    they have no pair to clash on and are reached by index."""
    where: dict[tuple[str, int], list[int]] = {}
    for info in p.hdus[1:]:
        if info.name and not (info.zimage and info.name == "COMPRESSED_IMAGE"):  # astropy's
            where.setdefault((info.name.upper(), info.ver), []).append(info.index)  # default
    for (name, ver), indices in where.items():
        if len(indices) > 1:
            report.error(f"{name},{ver}", f"{len(indices)} extensions carry EXTNAME={name!r} "
                         f"EXTVER={ver} (HDUs {_runs(indices)}): lookups by name "
                         f"reach only HDU {indices[0]} and hide the others; each needs its own "
                         "EXTVER")


def _check_asdf(p: Product, report: _Report) -> None:
    """The ASDF metadata extension must be one that readers find: EXTVER 1 (stdatamodels
    and ``p.meta`` look up ``ASDF,1``, so an ``ASDF,2`` alone would read as no metadata
    at all), only one of them, and either a BINTABLE with an ASDF_METADATA column (what
    stdatamodels writes), the older non-standard ``XTENSION='ASDF'`` HDU or an 8-bit IMAGE
    (asdf's former fits_embed wrote both; stdatamodels and ``p.meta`` read them)."""
    hdus = [h for h in p.hdus[1:] if h.name.upper() == "ASDF"]
    has_first = any(h.ver == 1 for h in hdus)
    for h in hdus:
        label = f"ASDF,{h.ver}"
        if h.ver != 1 and not has_first:
            report.error(label, f"the ASDF metadata extension has EXTVER={h.ver}: readers "
                         "(stdatamodels, p.meta) look for ASDF,1 only, so the file's "
                         "metadata would be missed")
        elif h.ver != 1:
            report.error(label, "a second ASDF metadata extension beside ASDF,1: which one "
                         "holds the metadata is ambiguous (readers use ASDF,1)")
        cards = p.source.read(h.header_offset, h.header_size)
        if h.kind == "BINTABLE":
            nfields = card_value(cards, "TFIELDS")
            n = int(nfields) if nfields and nfields.isdigit() else 0
            columns = [(card_value(cards, f"TTYPE{i}") or "").upper() for i in range(1, n + 1)]
            if "ASDF_METADATA" not in columns:
                report.error(label, "the ASDF extension has no ASDF_METADATA column "
                             f"(columns: {', '.join(columns) or 'none'})")
        elif h.kind == "IMAGE" and h.bitpix == 8 and not h.zimage:
            pass  # fits_embed's use_image_hdu: the bytes of the ASDF file, read as such
        elif not (h.kind == "OTHER" and (card_value(cards, "XTENSION") or "").upper() == "ASDF"):
            report.error(label, f"the ASDF extension is an HDU of type {h.kind}; expected a "
                         "BINTABLE with an ASDF_METADATA column, XTENSION='ASDF' or an "
                         "8-bit IMAGE")


def _versions(p: Product) -> dict[str, list[int]]:
    """EXTNAME -> its sorted EXTVERs, names in the order they first appear (ASDF,
    checked on its own, and HDUs without EXTNAME left out)."""
    out: dict[str, set[int]] = {}
    for info in p.hdus[1:]:
        name = info.name.upper()
        if name and name != "ASDF":
            out.setdefault(name, set()).add(info.ver)
    return {n: sorted(v) for n, v in out.items()}


def _runs(numbers: list[int]) -> str:
    """Sorted integers, runs of three or more shortened: [1, 3, 4, 5, 9] -> "1, 3..5, 9"
    (a 700-slit MOS file must not print 700 EXTVERs in one line)."""
    parts: list[str] = []
    i = 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        parts += [f"{numbers[i]}..{numbers[j]}"] if j - i >= 2 else map(str, numbers[i:j + 1])
        i = j + 1
    return ", ".join(parts)


def _gap(have: list[int]) -> str | None:
    return None if have == list(range(1, len(have) + 1)) else \
        f"EXTVER set [{_runs(have)}] is not 1..{len(have)}"


def _check_extver_sets(p: Product, spec, report: _Report) -> None:
    """EXTVERs number the instances of an extension 1..n; a gap is an error.

    In a multi-source product (MOS/WFSS ``cal``, ``s2d``, ``x1d`` ...) the EXTVERs
    number the sources, and the *lead* extension (SCI; EXTRACT1D for spectra)
    must have them all: a gap there is an error.  Other per-source extensions may
    skip a source (stdatamodels writes DQ 1 and 3 when slit 2 has no dq array:
    that is a note, reported with the spec rules), but one for a source the lead
    lacks (DQ,5 with no SCI,5) belongs to nothing: an error.  Anywhere else
    (single-source kinds, generic products) every EXTNAME's set must be 1..n;
    a single-source kind holding several of a seed extension gets a note, as
    only the first is checked against the spec.
    """
    versions = _versions(p)
    lead = _lead(spec, versions)
    for name, have in versions.items():
        if lead is not None and name != lead and name != "HDRTAB":
            orphans = sorted(set(have) - set(versions[lead]))
            if orphans:
                report.error(name, f"EXTVER {_runs(orphans)} of {name} has no {lead} with "
                             f"that EXTVER (the {lead} EXTVERs number the sources: "
                             f"{_runs(versions[lead])})")
            continue
        problem = _gap(have)
        if problem:
            report.error(name, problem)
        elif spec is not None and not spec.multi_source and name in spec.names and len(have) > 1:
            report.note(name, f"{len(have)} {name} extensions (EXTVER 1..{len(have)}) in a "
                        f"{spec.kind} product, which holds one: only {name},1 is checked")


def _lead(spec, versions: dict[str, list[int]]) -> str | None:
    """The extension whose EXTVERs number the sources of a multi-source product."""
    if spec is None or not spec.multi_source:
        return None
    return next((e.name for e in spec.repeated_extensions if e.name in versions), None)


# -- the spec of the product's kind ----------------------------------------------------

def _check_spec(p: Product, spec, report: _Report) -> None:
    """The extensions against the seed table of ``spec``: SCI at HDU 1 (the seeds
    guarantee it), HDU types, dtypes (with the accepted alternatives of the spec) and
    dimensions consistent by named axis (PIXELDQ is SCI's last two axes ...), all
    errors; a seed-listed extension that is absent is a note, except SCI, the
    product's science array.  A multi-source product is checked source by source
    (one EXTVER of the lead extension at a time)."""
    by_key = _by_key(p)
    header_only = ("SCI" in spec.names and not any(n.upper() == "SCI" for n, _ in by_key)
                   and not any(h.shape for h in p.hdus[1:] if h.kind == "IMAGE"))
    if header_only:  # stdatamodels writes one for a model whose data were never set
        report.note("SCI", f"no SCI: a header-only {spec.kind} product (stdatamodels opens "
                    "and validates it; its arrays were never set)")
    elif "SCI" in spec.names and (len(p.hdus) < 2 or p.hdus[1].name.upper() != "SCI"):
        got = repr(p.hdus[1].name or "an HDU without EXTNAME") if len(p.hdus) > 1 else "nothing"
        report.error("SCI", f"SCI must be HDU 1 (the seeds guarantee it), found {got} there")
    lead = _lead(spec, _versions(p))
    vers = p.versions(lead) if lead else [1]
    absent: dict[str, list[int]] = {}
    rows = [(e, lead is not None and e.name not in ("ASDF", "HDRTAB"), e.accepted_dtypes,
             e.accepted_dims) for e in spec.extensions]
    for i, ver in enumerate(vers or [1]):
        axes: dict[str, int] = {}
        for ext, repeated, dtypes, dims in rows:
            if not repeated and i > 0:
                continue  # checked with the first source
            key = (ext.name, ver if repeated else 1)
            if ext.name == "ASDF":  # its own rules: _check_asdf
                if not any(n == "ASDF" for n, _ in by_key):
                    absent.setdefault("ASDF", []).append(1)
                continue
            info = by_key.get(key)
            if info is None:
                if ext.name == "SCI" and not header_only:
                    report.error(f"SCI,{key[1]}", "the science array SCI is missing from this "
                                 f"{spec.kind} product")
                else:
                    absent.setdefault(ext.name, []).append(key[1])
                continue
            _check_extension(ext, dtypes, dims, info, axes, report)
    for name, missing in absent.items():
        where = "optional" if not spec.extension(name).required else "listed"
        why = f"{where} in the {spec.kind} seed table; stdatamodels omits arrays never set"
        if lead is not None and name not in ("ASDF", "HDRTAB") and len(missing) < len(vers):
            report.note(name, f"absent for EXTVER {_runs(missing)} of the "
                        f"{len(vers)} sources ({why})")
        else:
            report.note(name, f"absent ({why})")


_DTYPE_NAMES: dict = {}  # str(dtype) costs ~25 us: 50 ms over a 2,000-HDU MOS file


def _check_extension(ext, dtypes, dims, info, axes: dict[str, int], report: _Report) -> None:
    """One present extension: its HDU type, dtype (among ``dtypes``, the accepted
    ones) and shape (one of ``dims``), the named axes of the source so far in
    ``axes`` (filled in as they are first seen)."""
    label = f"{ext.name},{info.ver}"
    if info.kind != ext.hdu_type:
        report.error(label, f"HDU type {info.kind}, expected {ext.hdu_type}")
        return
    if not ext.is_image:
        return
    if not info.shape:  # NAXIS = 0: no data, as stdatamodels writes an array never set
        report.note(label, "an image with no data (NAXIS = 0)")
        return
    phys = info.physical_dtype
    dt = _DTYPE_NAMES.get(phys) or _DTYPE_NAMES.setdefault(phys, str(phys))
    if dtypes and dt not in dtypes:
        report.error(label, f"dtype {dt} (BITPIX={info.bitpix}, BZERO={info.bzero:g}), "
                     f"expected {' or '.join(dtypes)}")
    dims_ok = [d for d in dims if d is not None and len(d) == len(info.shape)]
    if dims and not dims_ok:
        want = " or ".join("(" + ", ".join(map(str, d)) + ")" for d in dims if d is not None)
        report.error(label, f"{len(info.shape)}-D shape {info.shape}, expected {want}")
        return
    if not dims_ok:
        return
    for axis, size in zip(dims_ok[0], info.shape):
        if isinstance(axis, int):
            if size != axis:
                report.error(label, f"axis of size {size}, expected {axis}")
            continue
        if axis in specs.DERIVED_AXES and "ncols" in axes:
            base, div = specs.DERIVED_AXES[axis]
            expect = axes[base] // div
            if size != expect:
                report.error(label, f"{axis} is {size}, expected {base}/{div} = {expect}")
            continue
        if axis in axes and axes[axis] != size:
            report.error(label, f"shape {info.shape} is inconsistent with SCI: {axis} is "
                         f"{size} here but {axes[axis]} in an earlier extension")
        axes.setdefault(axis, size)


# -- ramps.open(kind=...) -------------------------------------------------------------

def kind_conflict(p: Product, kind: str) -> str | None:
    """How the file contradicts being read as ``kind`` (None if it does not).

    The file says what it is in DATAMODL: a model that is not among the kind's
    models (``ImageModel`` ... for ``rate``) contradicts it.  Without DATAMODL (or
    when it agrees), the structure must fit: any error of the spec rules (dtypes,
    shapes, HDU types, a missing SCI) contradicts it; absent optional extensions
    do not.  Errors that hold whatever the kind (duplicate EXTVERs ...) are
    ``validate()``'s to report, not a contradiction of the kind."""
    spec = specs.get_spec(kind)
    primary = p.hdus[0]
    datamodl = card_value(p.source.read(primary.header_offset, primary.header_size), "DATAMODL")
    if datamodl:
        model = datamodl.strip().rsplit(".", 1)[-1]
        if model not in spec.models:
            kinds = specs.kinds_for_model(model)
            says = f"DATAMODL = {datamodl!r}" + (
                f" (a {' or '.join(kinds)} product)" if kinds else " (a model with no ramps spec)")
            wants = " or ".join(spec.models) or "no data model"
            return f"the file says {says}, but kind {kind!r} was asked for ({wants})"
    report = _Report(p.path)
    _check_spec(p, spec, report)
    errors = report.problems().errors
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return (f"kind {kind!r} was asked for, but the file's structure does not fit a {kind} "
                f"product: [{errors[0].extension}] {errors[0].message}{more}")
    return None
