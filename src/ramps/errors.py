"""The exceptions of ramps.

Every error ramps raises about a file derives from :class:`RampsError`; the
ones about a file's contents are :class:`FormatError` (also a ValueError) and
name the file, the extension when known, and the problem.
"""

from __future__ import annotations

__all__ = [
    "ChecksumError",
    "ClosedError",
    "DataTypeError",
    "FormatError",
    "FormatWarning",
    "IndexOutOfRangeError",
    "InputError",
    "KernelError",
    "MetadataError",
    "RampsError",
    "TreeCycleError",
    "TreeTooLargeError",
    "TruncatedFileError",
    "WriteError",
]


class RampsError(Exception):
    """Base class of the errors ramps raises."""


class FormatError(RampsError, ValueError):
    """The file is not valid FITS, or its structure is malformed.

    Attributes
    ----------
    path : str
        The file (a source's ``name``).
    extension : str or None
        The extension concerned, ``"SCI,2"`` or an HDU index such as ``"3"``;
        None when the problem is not in one extension.
    problem : str
        What is wrong.
    """

    def __init__(self, path: str, problem: str, extension: str | None = None) -> None:
        self.path, self.problem, self.extension = str(path), problem, extension
        where = self.path if extension is None else f"{self.path}[{extension}]"
        super().__init__(f"{where}: {problem}")

    def __reduce__(self):
        return type(self), (self.path, self.problem, self.extension)

    def at(self, extension: str) -> FormatError:
        """This error naming ``extension`` when it names none yet (else itself)."""
        if self.extension is not None:
            return self
        return type(self)(self.path, self.problem, extension)


class MetadataError(RampsError, ValueError):
    """Metadata given to a writer break the data-model schema (a keyword of the wrong
    type): nothing is written.  ``key`` is the dotted path (``meta.exposure.nints``)."""

    def __init__(self, key: str, problem: str) -> None:
        self.key, self.problem = key, problem
        super().__init__(f"{key}: {problem}")

    def __reduce__(self):
        return type(self), (self.key, self.problem)


class TruncatedFileError(FormatError):
    """The file ends before the bytes its structure announces."""


class ChecksumError(FormatError):
    """A DATASUM or CHECKSUM keyword does not match the bytes of its HDU.

    ``extension`` names the first failing HDU; ``failures`` lists every
    ``(extension, problem)`` found.
    """

    def __init__(self, path: str, problem: str, extension: str | None = None,
                 failures: list[tuple[str, str]] | None = None) -> None:
        super().__init__(path, problem, extension)
        self.failures = list(failures or [(extension or "", problem)])

    def __reduce__(self):
        return type(self), (self.path, self.problem, self.extension, self.failures)


class DataTypeError(FormatError, TypeError):
    """An HDU's data cannot be given as asked: a table, a non-standard extension or a
    string column where an image is needed, or a dtype an image cannot be decoded into.
    Also a TypeError, as before it was typed."""


class IndexOutOfRangeError(FormatError, IndexError):
    """An index past the end of an axis of an extension (``p.sci[5]`` of a SCI with
    5 integrations, ``p.sci[0]`` of an empty one).  Also an IndexError, as numpy's."""


class TreeTooLargeError(FormatError):
    """A metadata tree (ASDF file or FITS ASDF extension) holds more distinct nodes
    than the one budget of ``ramps.specs.walk``: refused rather than walked for minutes."""


class TreeCycleError(FormatError):
    """A metadata tree holds itself through a YAML alias (``a: &a [1, *a]``) where
    ramps cannot keep the cycle (a copy that is written out)."""


class InputError(RampsError, ValueError):
    """An argument ramps cannot act on (an unknown format, kind or task, a file that is
    already in the target format ...).  Also a ValueError, as before it was typed."""


class WriteError(RampsError, OSError):
    """Writing a file failed at the operating system (no space left, quota, I/O error).
    An OSError with the original ``errno`` and the target as ``filename``, whose
    message names the target."""

    def __init__(self, errno: int | None, problem: str, filename: str) -> None:
        super().__init__(errno, problem)  # str(): "[Errno 28] problem: 'filename'"
        self.problem, self.filename = problem, filename

    def __reduce__(self):
        return type(self), (self.errno, self.problem, self.filename)


class ClosedError(RampsError, ValueError):
    """An operation on a closed source or file."""


class KernelError(RampsError, RuntimeError):
    """A C kernel returned an error code that the Python checks did not foresee."""


class FormatWarning(UserWarning):
    """A file departs from the FITS standard in a way ramps can read past."""
