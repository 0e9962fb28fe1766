"""External blocks: an ndarray entry whose ``source`` names another ASDF file.

``asdf.AsdfFile.write_to(..., all_array_storage="external")`` writes each array
to a file of its own next to the main one (``x0000.asdf``, ``x0001.asdf`` ...)
and names it relative to the main file.  asdf resolves the name as a URI
against the main file's (``urljoin``) and reads the first block of that file;
the entry's dtype, shape, offset and strides then apply to that block's bytes,
as to a block of the main file.
"""

from __future__ import annotations

import os
from urllib.parse import urljoin

from ramps.asdf.index import AsdfIndex, BlockInfo, read_index
from ramps.errors import FormatError
from ramps.sources import ByteSource, is_url, open_source

__all__ = ["ExternalBlocks", "resolve"]


def resolve(base: str, name: str) -> str | None:
    """The path or URL an external ``source`` names, relative to the main file
    ``base`` (None when ``base`` is no file name: a file object or bytes)."""
    if name.lower().startswith("file://"):
        name = name[len("file://"):]
    if is_url(name) or os.path.isabs(name):
        return name
    if is_url(base):
        return urljoin(base, name)
    if base.lower().startswith("file://"):
        base = base[len("file://"):]
    if not base or base.startswith("<") or not os.path.exists(base):
        return None
    return os.path.join(os.path.dirname(os.path.abspath(base)), name)


class ExternalBlocks:
    """The external files a product's arrays name, opened once each."""

    def __init__(self, path: str):
        self.path = path
        self._open: dict[str, tuple[ByteSource, AsdfIndex]] = {}

    def block(self, name: str, array: str) -> tuple[ByteSource, BlockInfo]:
        """The source and first block of external file ``name`` (FormatError naming
        the main file, the array and the external file when it cannot be read)."""
        found = self._open.get(name)
        if found is None:
            where = resolve(self.path, name)
            if where is None:
                raise FormatError(self.path, f"the array's block is in the external file "
                                  f"{name!r}, which cannot be found: the file was not opened "
                                  "by its path", array)
            try:
                source = open_source(where)
            except OSError as e:
                raise FormatError(self.path, f"the array's block is in the external file "
                                  f"{where!r}, which cannot be read: {e}", array) from None
            try:
                index = read_index(source)
            except FormatError as e:
                source.close()
                raise FormatError(self.path, f"external file {where!r}: {e.problem}",
                                  array) from None
            found = self._open[name] = (source, index)
        source, index = found
        if not index.blocks:
            raise FormatError(self.path, f"external file {source.name!r} has no block", array)
        return source, index.blocks[0]

    def close(self) -> None:
        for source, _ in self._open.values():
            source.close()
        self._open.clear()
