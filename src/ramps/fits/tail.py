"""The ASDF extension found from the end of a file, without indexing what lies before.

stdatamodels writes the ``ASDF`` extension last, and its data (a one-row
``ASDF_METADATA`` table, or the older ``XTENSION = 'ASDF'`` unit) start with the
``#ASDF`` magic at a 2880-byte boundary.  :func:`find_tail_asdf` reads the file
backwards in fixed steps until a block starts with that magic, then checks that
the header before it is an ``ASDF`` extension whose data end the file.  For a
remote product whose index stops early (:func:`~ramps.fits.index.scan_head`) this
gives the metadata for the extension's bytes plus less than one step, instead of
a read of every header of a 2,000-HDU MOS cal.  Anything unexpected gives None,
and the caller indexes the file whole.
"""

from __future__ import annotations

from ramps.fits.index import BLOCK, HDUInfo, scan_from
from ramps.sources import ByteSource
from ramps.specs.asdf_standard import ASDF_MAGIC

__all__ = ["find_tail_asdf"]

_MAGIC = ASDF_MAGIC
_XTENSION = b"XTENSION="
#: Headers longer than this many blocks are not looked for before the magic.
_MAX_HEADER_BLOCKS = 64


def _header_before(source: ByteSource, data_offset: int, floor: int) -> HDUInfo | None:
    """The HDU whose data start at ``data_offset``, if its header is an ASDF extension's."""
    lowest = max(floor, data_offset - _MAX_HEADER_BLOCKS * BLOCK)
    for h in range(data_offset - BLOCK, lowest - 1, -BLOCK):
        if source.read(h, len(_XTENSION)) != _XTENSION:
            continue
        try:
            infos, _ = scan_from(source, h, 1, None, stop_at_jump=True)
        except Exception:  # noqa: BLE001 - not a header after all: the caller scans whole
            return None
        if not infos:
            return None
        info = infos[0]
        end = info.data_offset + info.data_span
        if info.name.upper() == "ASDF" and info.data_offset == data_offset and \
                source.size in (end, info.data_offset + info.data_size):
            return info
        return None
    return None


def find_tail_asdf(source: ByteSource, *, floor: int = 0, step: int = 32 << 10,
                   limit: int = 256 << 20) -> HDUInfo | None:
    """The last HDU of ``source`` if it is the ASDF extension (its ``index`` is not
    known: -1), looking no lower than byte ``floor`` (a header offset) and no more
    than ``limit`` bytes back, ``step`` bytes a read; None if not found that way."""
    step = max(step // BLOCK, 1) * BLOCK
    pos = -(-source.size // BLOCK) * BLOCK  # the last block's end (its padding may be missing)
    floor = max(int(floor), 0) // BLOCK * BLOCK
    top = pos
    while pos > floor and top - pos < limit:
        start = max(floor, pos - step)
        chunk = source.read(start, min(pos, source.size) - start)
        for b in range(pos - BLOCK, start - 1, -BLOCK):
            if chunk[b - start:b - start + len(_MAGIC)] == _MAGIC:
                info = _header_before(source, b, floor)
                if info is not None:
                    info.__dict__["index"] = -1
                    return info
        pos = start
    return None
