"""The one product interface: what every product a user holds offers, whatever its format.

A JWST FITS file (:class:`ramps.products.fits.Product`), a Roman ASDF file and the
segments of one TSO exposure (:class:`ramps.products.exposure.Exposure`) are all used the
same way::

    with ramps.open(path) as p:              # or ramps.open_exposure(glob)
        p.kind, p.model                      # "uncal", "Level1bModel"
        [e.name for e in p.extensions]       # ["PRIMARY", "SCI", "INT_TIMES", ...]
        first = p.sci[0]; last = p.sci[-1]   # one integration, decoded
        counts = p.read("SCI", raw=True)     # everything, stored integers
        dq = p["GROUPDQ"]                    # an extension's data
        p.meta["exposure"]["nints"]
        problems = p.validate()

:class:`ProductAPI` and :class:`LazyArray` are :class:`typing.Protocol` classes:
nothing inherits from them; a type checker checks the members, and
``isinstance(p, ProductAPI)`` checks that every member is present.  Unlike
``typing.runtime_checkable`` before Python 3.12, that check looks members up
statically (``inspect.getattr_static``): it never runs a property, so it does
not parse ``meta`` or raise from ``sci`` on a product without SCI.  Formats
differ only below this line.
"""

from __future__ import annotations

import inspect
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

from ramps.errors import ClosedError, IndexOutOfRangeError

__all__ = ["ExtensionInfo", "LazyArray", "LazyPlanes", "OpenFile", "ProductAPI", "members", "missing"]

class ExtensionInfo(NamedTuple):
    """One HDU as a user sees it: what a product's ``extensions`` lists (FITS: one per HDU).

    A named tuple: ``name, ver, type, dtype, shape = e`` unpacks it, ``e.shape`` reads
    one field."""

    name: str
    ver: int
    type: str
    dtype: np.dtype | None
    shape: tuple[int, ...]


#: protocol class -> the member names isinstance() looks for (filled below each class).
_MEMBERS: dict[type, tuple[str, ...]] = {}

#: The formats a product can have (``p.format``).
FITS, ASDF = "fits", "asdf"


class _StaticProtocolMeta(type(Protocol)):  # type: ignore[misc]
    """isinstance() by a static look-up of the members listed in ``_MEMBERS``."""

    def __instancecheck__(cls, instance: Any) -> bool:
        if cls not in _MEMBERS:
            return super().__instancecheck__(instance)
        return not missing(instance, cls)


@runtime_checkable
class LazyArray(Protocol, metaclass=_StaticProtocolMeta):
    """An array decoded on demand: ``a[i]`` (negative too), ``a[i:j]`` decode only those
    integrations (planes of axis 0); ``numpy.asarray(a)`` or ``a.read()`` decode all."""

    shape: tuple[int, ...]
    dtype: np.dtype
    ndim: int

    @property
    def nbytes(self) -> int: ...

    def __len__(self) -> int: ...

    def __getitem__(self, key: Any) -> np.ndarray: ...

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray: ...

    def read(self, out: np.ndarray | None = None, threads: int | None = None) -> np.ndarray: ...


_MEMBERS[LazyArray] = ("shape", "dtype", "ndim", "nbytes", "__len__", "__getitem__",
                       "__array__", "read")


@runtime_checkable
class ProductAPI(Protocol, metaclass=_StaticProtocolMeta):
    """One science product opened for reading, whatever its format or number of files.

    Members
    -------
    format
        ``"fits"`` or ``"asdf"``: what the operations dispatch on (a type, never a guess
        from the members a product happens to have).
    kind
        The product kind (``uncal``, ``ramp``, ``rateints``, Roman ``ScienceRawModel``
        levels ...).
    model
        The data-model class of the file (``RampModel``, ``ImageModel`` ...).
    extensions
        One record (``name``, ``ver``, ``type``, ``dtype``, ``shape``) per array or
        table, the primary first where the format has one.
    p[name], p[name, ver]
        An extension's data: images as arrays, tables as structured arrays.
    read(name, *, dtype, out, raw)
        A whole image decoded in one pass (into ``out`` when given); ``raw=True``
        the stored integers.
    lazy(name), sci
        A :class:`LazyArray` of an image (``sci`` is ``lazy("SCI")``).
    meta
        The data-model metadata as a mapping (``meta["exposure"]["nints"]``).
    header()
        The primary header (or an extension's) as an astropy Header, where the
        format has headers.
    validate()
        The problems found against the product's spec (empty when none).
    close(), with
        Release the files; arrays already handed out stay valid.
    """

    format: str
    kind: str | None

    @property
    def model(self) -> str | None: ...

    @property
    def extensions(self) -> list[Any]: ...

    def __getitem__(self, key: Any) -> Any: ...

    def read(self, name: Any, ver: int = 1, *, dtype: Any = None,
             out: np.ndarray | None = None, raw: bool = False,
             threads: int | None = None) -> np.ndarray: ...

    def lazy(self, name: str, ver: int = 1, dtype: Any = None) -> LazyArray: ...

    @property
    def sci(self) -> LazyArray: ...

    @property
    def meta(self) -> Any: ...

    def header(self, name: Any = 0, ver: int = 1) -> Any: ...

    def validate(self, strict: bool = False) -> list: ...

    def close(self) -> None: ...

    def __enter__(self) -> Any: ...

    def __exit__(self, *exc: object) -> None: ...


_MEMBERS[ProductAPI] = ("format", "kind", "model", "extensions", "__getitem__", "read", "lazy", "sci",
                        "meta", "header", "validate", "close", "__enter__", "__exit__")


def members(protocol: type) -> tuple[str, ...]:
    """The member names ``isinstance(x, protocol)`` checks (for tests and error messages)."""
    return _MEMBERS[protocol]


def missing(obj: Any, protocol: type) -> list[str]:
    """The members of ``protocol`` that ``obj`` lacks (empty when it satisfies it)."""
    out = []
    for name in members(protocol):
        try:
            inspect.getattr_static(obj, name)
        except AttributeError:
            out.append(name)
    return out


class LazyPlanes:
    """What the lazy arrays share (``p.sci`` of a FITS, ASDF or segmented product):
    ``a[i]`` and ``a[i:j:k]`` decode only those planes of the first axis, negative
    indices count from the end, ``numpy.asarray(a)`` decodes everything.  A subclass
    sets ``shape`` and ``dtype`` and gives ``read(out=, threads=)`` and
    ``_planes(start, count)`` (``_run`` too when a stepped slice can do better than
    one plane at a time)."""

    shape: tuple[int, ...]
    dtype: np.dtype
    #: How errors name the array: ``file[SCI,1]`` (set by each subclass).
    where: str = "array"
    #: The file and the extension apart, when the subclass knows them (errors' fields).
    path: str | None = None
    extension: str | None = None

    def __len__(self) -> int:
        return self.shape[0] if self.shape else 0

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize

    def read(self, out: Any = None, threads: Any = None) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _planes(self, start: int, count: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _run(self, idx: range) -> np.ndarray:
        """The planes of ``idx`` (a range of any step)."""
        if idx.step == 1:
            return self._planes(idx.start, len(idx))
        if not len(idx):
            return np.empty((0,) + tuple(self.shape[1:]), self.dtype)
        return np.stack([self._planes(i, 1)[0] for i in idx])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = self.read()
        return arr if dtype is None else arr.astype(dtype, copy=False)

    def __getitem__(self, key: Any) -> np.ndarray:
        first, rest = (key[0], key[1:]) if isinstance(key, tuple) and key else (key, ())
        if not self.shape:
            return self.read()[key]
        n = self.shape[0]
        if isinstance(first, (int, np.integer)) and not isinstance(first, (bool, np.bool_)):
            i = int(first) + n if first < 0 else int(first)
            if not 0 <= i < n:
                problem = f"index {first} out of range for axis 0 of size {n}"
                if self.path is None:
                    raise IndexOutOfRangeError(self.where, problem)
                raise IndexOutOfRangeError(self.path, problem, self.extension)
            plane = self._planes(i, 1)[0]
            return plane[rest] if rest else plane
        if isinstance(first, slice):
            block = self._run(range(*first.indices(n)))
            return block[(slice(None),) + tuple(rest)] if rest else block
        return self.read()[key]


class OpenFile:
    """The life cycle every product over one file shares: ``close()`` (arrays already
    handed out stay valid), the context manager, ``closed``, and ``_check_open()``
    raising :class:`~ramps.errors.ClosedError`.  A subclass sets ``path``,
    ``_source`` (its byte source) and ``_closed = False``."""

    path: str
    _closed: bool = False

    def close(self) -> None:
        """Release the file (and its memory map)."""
        if not self._closed:
            self._closed = True
            self._source.close()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - a half-built object, or interpreter shutdown
            pass

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise ClosedError(f"{self.path}: product is closed")
