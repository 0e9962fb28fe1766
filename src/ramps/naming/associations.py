"""Read JWST association (``*_asn.json``) files.

An association lists the exposures that belong together::

    {"asn_type": "image3", "asn_id": "o010", "asn_pool": "jw01523_..._pool",
     "products": [{"name": "jw01523-o010_t010_miri_f1800w",
                   "members": [{"expname": "jw01523010001_02101_00001_mirimage_cal.fits",
                                "exptype": "science"}]}]}

Rules (following the JWST pipeline association docs and schema):

* Required: ``asn_id`` (string), ``asn_pool`` (string), ``products`` (list);
  each product needs ``members`` (list); each member needs ``expname`` and
  ``exptype`` (non-empty strings).  ``asn_type`` and a product's ``name`` are
  optional strings (missing or ``null`` gives ``None``).  Other keys
  (``asn_rule``, ``version_id``, ``exposerr``, ...) are ignored.
* ``expname`` is resolved relative to the folder holding the association file;
  an absolute ``expname`` is used as is.  Relative paths with folders are
  accepted (stage 3 associations allow them).
* An association at a URL (``s3://bucket/obs/x_asn.json``, ``https://...``) is
  read through fsspec (``storage_options`` for credentials); its members resolve
  against the URL's folder and stay URLs (:class:`~ramps.sources.RemotePath`),
  which :func:`ramps.open` and ``ramps.convert`` read by range requests.  A member
  that is itself a URL is used as is.
* ``exptype`` is compared case-insensitively (``"science"``, ``"background"``, ...).
* :meth:`Association.science_members` and :meth:`Association.missing` list each
  file once, in order of first appearance, even if several products share it
  (e.g. a background exposure).
* Unreadable files raise the usual :class:`OSError`; malformed content raises
  :class:`AssociationError` naming the file and the offending key.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ramps.sources import RemotePath, is_url

__all__ = [
    "AsnMember",
    "AsnProduct",
    "Association",
    "AssociationError",
    "MissingMembersError",
    "from_dict",
    "load",
]


class AssociationError(ValueError):
    """An association file is malformed; ``path`` names it and ``problem`` says what is wrong."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        super().__init__(f"association {os.fspath(path)}: {problem}")
        self.path = _where(path)
        self.problem = problem


class MissingMembersError(AssociationError):
    """Member files listed in an association do not exist; ``missing`` holds them."""

    def __init__(self, path: str | os.PathLike[str], missing: Iterable[AsnMember]) -> None:
        self.missing = tuple(missing)
        names = ", ".join(m.expname for m in self.missing)
        super().__init__(path, f"{len(self.missing)} member file(s) missing: {names}")


@dataclass(frozen=True)
class AsnMember:
    """One member exposure of an association product."""

    expname: str  #: file name as written in the association
    exptype: str  #: "science", "background", "psf", "imprint", ...
    #: expname resolved against the association's folder (a URL for a remote association)
    path: Path | RemotePath
    storage_options: Any = field(default=None, compare=False, repr=False)

    @property
    def is_science(self) -> bool:
        """True if ``exptype`` is "science" (case-insensitive)."""
        return self.exptype.lower() == "science"

    def exists(self) -> bool:
        """True if the member file exists (for a URL: the object does, asked by fsspec)."""
        if isinstance(self.path, RemotePath):
            import fsspec

            fs, key = fsspec.core.url_to_fs(self.path, **dict(self.storage_options or {}))
            return bool(fs.isfile(key))
        return self.path.is_file()


def _resolve(base: Path | RemotePath, expname: str) -> Path | RemotePath:
    """A member's ``expname`` against the association's folder ``base``."""
    if is_url(expname):
        return RemotePath(expname)
    if isinstance(base, RemotePath):
        scheme, _, rest = base.partition("://")
        host, _, folder = rest.partition("/")
        key = posixpath.normpath(posixpath.join("/" + folder, expname))
        return RemotePath(f"{scheme}://{host}{key}")
    return base / expname


@dataclass(frozen=True)
class AsnProduct:
    """One output product of an association and its input members."""

    name: str | None
    members: tuple[AsnMember, ...]

    def science_members(self) -> tuple[AsnMember, ...]:
        """Members with exptype "science"."""
        return tuple(m for m in self.members if m.is_science)


def _unique(members: Iterable[AsnMember]) -> tuple[AsnMember, ...]:
    seen: dict[Any, AsnMember] = {}
    for m in members:
        seen.setdefault(m.path, m)
    return tuple(seen.values())


@dataclass(frozen=True)
class Association:
    """A parsed association file."""

    path: Path | RemotePath  #: the association file (a URL for a remote one)
    asn_id: str
    asn_pool: str
    asn_type: str | None
    products: tuple[AsnProduct, ...]

    @property
    def members(self) -> tuple[AsnMember, ...]:
        """All members of all products, in file order (repeats included)."""
        return tuple(m for p in self.products for m in p.members)

    def science_members(self) -> tuple[AsnMember, ...]:
        """Members with exptype "science", each file once."""
        return _unique(m for m in self.members if m.is_science)

    def missing(self) -> tuple[AsnMember, ...]:
        """Members whose files do not exist, each file once."""
        return _unique(m for m in self.members if not m.exists())

    def check(self, raise_on_missing: bool = True) -> tuple[AsnMember, ...]:
        """Return the missing members; if any and ``raise_on_missing``, raise
        :class:`MissingMembersError` listing them by name instead."""
        missing = self.missing()
        if missing and raise_on_missing:
            raise MissingMembersError(self.path, missing)
        return missing


_TYPE_NAMES = {str: "a string", list: "a list", dict: "an object"}


def _get(obj: Mapping[str, Any], key: str, kind: type, where: str, path: Path, required: bool = True) -> Any:
    """Return ``obj[key]`` checked to be of type ``kind``; None if optional and missing/null."""
    label = f"{where}.{key}" if where else key
    value = obj.get(key)
    if value is None:
        if required:
            found = "is null" if key in obj else "is missing"
            raise AssociationError(path, f"required key {label!r} {found}")
        return None
    if not isinstance(value, kind):
        raise AssociationError(path, f"{label!r} must be {_TYPE_NAMES[kind]}, got {type(value).__name__}")
    if kind is str and required and not value.strip():
        raise AssociationError(path, f"{label!r} must not be empty")
    return value


def _where(path: str | os.PathLike[str]) -> Path | RemotePath:
    return RemotePath(path) if is_url(path) else Path(path)


def from_dict(data: Any, path: str | os.PathLike[str], *,
              storage_options: Any = None) -> Association:
    """Build an :class:`Association` from decoded JSON ``data``.

    ``path`` is the association file (a path or a URL): members are resolved
    against its folder and errors name it.
    """
    path = _where(path)
    if not isinstance(data, dict):
        raise AssociationError(path, f"top level must be a JSON object, got {type(data).__name__}")
    base = path.parent if isinstance(path, RemotePath) else path.absolute().parent
    products = []
    for i, prod in enumerate(_get(data, "products", list, "", path)):
        where = f"products[{i}]"
        if not isinstance(prod, dict):
            raise AssociationError(path, f"{where!r} must be an object, got {type(prod).__name__}")
        members = []
        for j, mem in enumerate(_get(prod, "members", list, where, path)):
            mwhere = f"{where}.members[{j}]"
            if not isinstance(mem, dict):
                raise AssociationError(path, f"{mwhere!r} must be an object, got {type(mem).__name__}")
            expname = _get(mem, "expname", str, mwhere, path)
            members.append(AsnMember(expname, _get(mem, "exptype", str, mwhere, path),
                                     _resolve(base, expname), storage_options))
        products.append(AsnProduct(_get(prod, "name", str, where, path, required=False), tuple(members)))
    return Association(
        path=path,
        asn_id=_get(data, "asn_id", str, "", path),
        asn_pool=_get(data, "asn_pool", str, "", path),
        asn_type=_get(data, "asn_type", str, "", path, required=False),
        products=tuple(products),
    )


def _read_bytes(path: Path | RemotePath, storage_options: Any) -> bytes:
    if not isinstance(path, RemotePath):
        return path.read_bytes()
    import fsspec

    try:
        with fsspec.open(path, "rb", **dict(storage_options or {})) as f:
            return f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: association not found") from None


def load(path: str | os.PathLike[str], *, storage_options: Any = None) -> Association:
    """Read an association JSON file, from a path or a URL (through fsspec, with
    ``storage_options``).

    Raises :class:`AssociationError` (naming the file) for invalid JSON or
    content; :class:`OSError` if the file cannot be read.
    """
    path = _where(path)
    try:
        data = json.loads(_read_bytes(path, storage_options))
    except UnicodeDecodeError as exc:
        raise AssociationError(path, f"not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise AssociationError(path, f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    return from_dict(data, path, storage_options=storage_options)
