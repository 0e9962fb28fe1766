"""The two JWST file-name schemes as data classes (:class:`ExposureName`,
:class:`Stage3Name`): their fields, checks and formatting.  The rules are in the
docstring of :mod:`ramps.naming`; parsing is there too."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

#: File extensions accepted by :func:`parse`.
EXTENSIONS = (".fits", ".asdf", ".ecsv", ".json")
#: Instrument names allowed in stage 3 names.
INSTRUMENTS = frozenset({"fgs", "miri", "nircam", "niriss", "nirspec"})

_CANDIDATE = re.compile(r"o\d{3}|[acr]\d{4}")
_SOURCE = re.compile(r"t\d{3}|[sbv](?:\d{5}|\d{9})")
_SUBARRAY = re.compile(
    r"sub[a-z0-9]*|full[a-z0-9]*|mask\d+|masklyot|brightsky|slitlessprism|allslits|wfss\d+[rc]"
)
_WORD = re.compile(r"[a-z0-9]+")


class FileNameError(ValueError):
    """A string is not a valid JWST file name.

    ``name`` is the offending string and ``problem`` says which part is wrong.
    """

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"invalid JWST file name {name!r}: {problem}")
        self.name = name
        self.problem = problem


def _check(value: object, pattern: str | re.Pattern[str], what: str, expected: str) -> str | None:
    """Return a problem description if ``value`` is not a string fully matching ``pattern``."""
    if isinstance(value, str) and re.fullmatch(pattern, value):
        return None
    return f"{what} {value!r} must be {expected}"


def _check_int(value: object, what: str, low: int, high: int) -> str | None:
    if value is None or (type(value) is int and low <= value <= high):
        return None
    return f"{what} {value!r} must be an integer in {low}..{high} (or None)"


class _NameBase:
    """Validation and formatting shared by both name records."""

    def __post_init__(self) -> None:
        problem = next(filter(None, self._problems()), None)
        if problem:
            try:
                shown = self.format()
            except Exception:
                shown = repr(self)
            raise FileNameError(shown, problem)

    def _problems(self) -> list[str | None]:  # pragma: no cover - overridden
        raise NotImplementedError

    def format(self) -> str:  # pragma: no cover - overridden
        """Return the file name (no directory)."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.format()


@dataclass(frozen=True)
class ExposureName(_NameBase):
    """An exposure-based (stage 0-2) file name.

    ``str(name)`` / ``name.format()`` reproduce the parsed name exactly.
    """

    program: str  #: 5 digits, e.g. "01523"
    observation: str  #: 3 digits
    visit: str  #: 3 digits
    visit_group: str  #: 2 digits
    parallel_sequence: str  #: 1 digit (1 = prime, 2-5 = parallel)
    activity: str  #: 2 base-36 characters
    exposure: str  #: 5 digits
    detector: str  #: e.g. "nrcalong", "mirimage", "nrs1"
    product_type: str  #: suffix, e.g. "uncal", "rate", "cal", "dark_current"
    segment: int | None = None  #: 1..999 or None
    asn_candidate: str | None = None  #: e.g. "o003" in ..._o003_crf.fits
    extension: str = ".fits"

    def _problems(self) -> list[str | None]:
        return [
            _check(self.program, r"\d{5}", "program", "5 digits"),
            _check(self.observation, r"\d{3}", "observation", "3 digits"),
            _check(self.visit, r"\d{3}", "visit", "3 digits"),
            _check(self.visit_group, r"\d{2}", "visit group", "2 digits"),
            _check(self.parallel_sequence, r"\d", "parallel sequence", "1 digit"),
            _check(self.activity, r"[0-9a-z]{2}", "activity", "2 base-36 characters (0-9, a-z)"),
            _check(self.exposure, r"\d{5}", "exposure", "5 digits"),
            _check_int(self.segment, "segment", 1, 999),
            _check(self.detector, r"[a-z][a-z0-9]*", "detector", "lowercase letters and digits"),
            None if self.asn_candidate is None else _check(
                self.asn_candidate, _CANDIDATE, "association candidate", "oNNN, cNNNN, aNNNN or rNNNN"),
            _check(self.product_type, r"[a-z0-9]+(?:_[a-z0-9]+)*", "product type",
                   "lowercase letters and digits (words joined by '_')"),
            None if self.extension in EXTENSIONS else f"extension {self.extension!r} must be one of {EXTENSIONS}",
        ]

    @property
    def base_name(self) -> str:
        """Exposure and detector without segment, candidate, product type and extension.

        All segments and products of one exposure on one detector share it,
        e.g. ``jw02734002001_04101_00001_nrcalong``.
        """
        return (f"jw{self.program}{self.observation}{self.visit}"
                f"_{self.visit_group}{self.parallel_sequence}{self.activity}"
                f"_{self.exposure}_{self.detector}")

    def format(self) -> str:
        """Return the file name (no directory)."""
        seg = "" if self.segment is None else f"-seg{self.segment:03d}"
        acid = "" if self.asn_candidate is None else f"_{self.asn_candidate}"
        return (f"jw{self.program}{self.observation}{self.visit}"
                f"_{self.visit_group}{self.parallel_sequence}{self.activity}"
                f"_{self.exposure}{seg}_{self.detector}{acid}_{self.product_type}{self.extension}")

    def with_product_type(self, product_type: str, *, extension: str | None = None) -> ExposureName:
        """Return a copy with another product type (and optionally extension)."""
        return dataclasses.replace(self, product_type=product_type, extension=extension or self.extension)

    def with_segment(self, segment: int | None) -> ExposureName:
        """Return a copy with another segment number (``None`` removes it)."""
        return dataclasses.replace(self, segment=segment)


@dataclass(frozen=True)
class Stage3Name(_NameBase):
    """A source-based stage 3 file name.

    ``str(name)`` / ``name.format()`` reproduce the parsed name exactly.
    """

    program: str  #: 5 digits
    asn_candidate: str  #: e.g. "o010", "c1001", "a3001"
    source: str  #: "t" + 3 digits or "s"/"b"/"v" + 5 or 9 digits, e.g. "t010", "s00001"
    instrument: str  #: one of INSTRUMENTS
    optical_elements: tuple[str, ...]  #: e.g. ("clear", "f277w")
    product_type: str  #: e.g. "i2d", "x1d", "cat"
    subarray: str | None = None  #: e.g. "sub64"
    epoch: int | None = None  #: 0..9
    activity: str | None = None  #: ACT_ID, 2 characters
    extension: str = ".fits"

    def __post_init__(self) -> None:
        if isinstance(self.optical_elements, list):
            object.__setattr__(self, "optical_elements", tuple(self.optical_elements))
        super().__post_init__()

    def _problems(self) -> list[str | None]:
        opt = self.optical_elements
        if not isinstance(opt, tuple) or not opt or not all(isinstance(e, str) for e in opt):
            opt_problem: str | None = f"optical elements {opt!r} must be a non-empty tuple of strings"
        else:
            opt_problem = next(filter(None, (_check(e, _WORD, "optical element", "lowercase letters and digits")
                                             for e in opt)), None)
            if opt_problem is None and len(opt) > 1 and _SUBARRAY.fullmatch(opt[-1]):
                opt_problem = f"last optical element {opt[-1]!r} looks like a subarray; pass it as subarray"
        return [
            _check(self.program, r"\d{5}", "program", "5 digits"),
            _check(self.asn_candidate, _CANDIDATE, "association candidate", "oNNN, cNNNN, aNNNN or rNNNN"),
            _check(self.source, _SOURCE, "target/source id", "'t' + 3 digits or 's'/'b'/'v' + 5 or 9 digits"),
            _check_int(self.epoch, "epoch", 0, 9),
            None if isinstance(self.instrument, str) and self.instrument in INSTRUMENTS else
            f"instrument {self.instrument!r} must be one of {', '.join(sorted(INSTRUMENTS))}",
            opt_problem,
            None if self.subarray is None else _check(
                self.subarray, _SUBARRAY, "subarray",
                "a subarray name (sub*, full*, mask<N>, masklyot, brightsky, ...)"),
            _check(self.product_type, _WORD, "product type", "lowercase letters and digits"),
            None if self.activity is None else _check(
                self.activity, r"[0-9a-z]{2}", "activity id", "2 base-36 characters"),
            None if self.extension in EXTENSIONS else f"extension {self.extension!r} must be one of {EXTENSIONS}",
        ]

    @property
    def base_name(self) -> str:
        """The product name root without product type, activity and extension.

        This is what association files list as the product ``name``, e.g.
        ``jw01523-o010_t010_miri_f1800w-sub64``.
        """
        epoch = "" if self.epoch is None else f"-epoch{self.epoch}"
        sub = "" if self.subarray is None else f"-{self.subarray}"
        return (f"jw{self.program}-{self.asn_candidate}_{self.source}{epoch}"
                f"_{self.instrument}_{'-'.join(self.optical_elements)}{sub}")

    @property
    def source_kind(self) -> str:
        """``"t"`` (APT target) or ``"s"``/``"b"``/``"v"`` (source, background, virtual)."""
        return self.source[0]

    @property
    def source_number(self) -> int:
        """The numeric target or source id."""
        return int(self.source[1:])

    def format(self) -> str:
        """Return the file name (no directory)."""
        act = "" if self.activity is None else f"-{self.activity}"
        return f"{self.base_name}_{self.product_type}{act}{self.extension}"

    def with_product_type(self, product_type: str, *, extension: str | None = None) -> Stage3Name:
        """Return a copy with another product type (and optionally extension)."""
        return dataclasses.replace(self, product_type=product_type, extension=extension or self.extension)
