"""What validation reports: :class:`Problem` (one finding, with a severity),
:class:`Problems` (the list ``Product.validate`` returns) and :class:`ValidationError`.

Two severities, so that a file the reference library (stdatamodels) writes and
accepts is never called invalid:

* ``"error"``: the file is unusable or ambiguous as its kind (inconsistent
  shapes, wrong dtypes or HDU types, two extensions with one EXTNAME/EXTVER
  pair, EXTVER sets with gaps, SCI not at HDU 1, metadata a reader will not
  find).  ``strict=True`` raises on these, and ``ramps.info`` exits 1.
* ``"note"``: a harmless departure from the seed tables, such as a
  seed-listed extension that is absent (stdatamodels writes no extension for
  an array that was never set) or data in the primary HDU.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from ramps.errors import FormatError

__all__ = ["ERROR", "NOTE", "Problem", "Problems", "ValidationError"]

ERROR: Literal["error"] = "error"
NOTE: Literal["note"] = "note"


@dataclass(frozen=True)
class Problem:
    """One validation finding.

    ``str(problem)`` is ``"{path}[{extension}]: {message}"`` (``"{path}: {message}"``
    when no single extension is concerned), the plain string validation
    returned before severities existed, so callers that print problems keep working.
    """

    severity: Literal["error", "note"]
    path: str
    extension: str | None
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        where = f"{self.path}[{self.extension}]" if self.extension else self.path
        return f"{where}: {self.message}"


class Problems(list):
    """The list of :class:`Problem` that ``Product.validate`` returns (empty: nothing
    to say), errors first in the order found, then notes; ``.errors`` and ``.notes``
    split it by severity."""

    @property
    def errors(self) -> list[Problem]:
        """The problems that make the file unusable or ambiguous."""
        return [p for p in self if p.severity == ERROR]

    @property
    def notes(self) -> list[Problem]:
        """Harmless departures from the seed tables."""
        return [p for p in self if p.severity == NOTE]


class ValidationError(FormatError):
    """A product does not match the spec of its kind (or a kind asked of ``ramps.open``).

    A :class:`~ramps.errors.FormatError` (so also a ValueError): ``path``,
    ``extension`` and ``problem`` describe the first error; ``problems`` holds
    every problem found (notes included)."""

    def __init__(self, path: str, problem: str, extension: str | None = None,
                 problems: Iterable[Problem] = ()) -> None:
        super().__init__(path, problem, extension)
        self.problems = Problems(problems)

    @classmethod
    def from_problems(cls, problems: Problems) -> ValidationError:
        """The error raised by ``strict=True``: the first error, and how many more."""
        errors = problems.errors
        first, rest = errors[0], errors[1:]
        text = first.message
        if rest:
            shown = "; ".join(str(e) for e in rest[:3]) + (" ..." if len(rest) > 3 else "")
            text += f" (and {len(rest)} more error{'s' if len(rest) > 1 else ''}: {shown})"
        return cls(first.path, text, first.extension, problems)

    def __reduce__(self):
        return type(self), (self.path, self.problem, self.extension, list(self.problems))
