"""Reading the ASDF tree that a JWST FITS file carries in its ``ASDF`` extension.

Three layouts are found in files (stdatamodels reads all three, as the raw bytes of
the data unit):

* a BINTABLE with one row and one ``ASDF_METADATA`` column of ``{n}B`` (what
  stdatamodels writes today): the bytes are read straight from the file;
* the non-standard ``XTENSION = 'ASDF'`` HDU of older reference files (asdf's
  former ``fits_embed``: BITPIX 8, NAXIS 1, NAXIS1 the length, gzip-compressed
  when ``COMPRESS = T``): the data unit is the ASDF file;
* an 8-bit IMAGE named ASDF (``fits_embed``'s ``use_image_hdu``): the same.

The tree is parsed with asdf's YAML reader without converting tags (fast), and
``fits:EXTNAME,EXTVER`` array references are linked to the file's extensions by
the caller's resolver (:func:`link_arrays`).  The write side lives elsewhere.
"""

from __future__ import annotations

import gzip
import io
import re
import warnings
from typing import Any, Callable, Optional

import numpy as np

from ..errors import FormatError
from ..sources import ByteSource
from .index import HDUInfo

__all__ = ["ASDF_EXTNAME", "find_asdf_hdu", "asdf_bytes", "load_tree", "link_arrays",
           "read_tree", "open_asdf", "table_hdu"]

ASDF_EXTNAME = "ASDF"
FITS_SOURCE = re.compile(r"fits:(?:(?P<name>[ -~]+),)?(?P<ver>[0-9]+)$")
_GZIP_MAGIC = b"\x1f\x8b"


def find_asdf_hdu(hdus: list[HDUInfo]) -> Optional[HDUInfo]:
    """The first extension named ASDF, whatever its EXTVER (astropy's ``hdul["ASDF"]``)."""
    return next((h for h in hdus[1:] if h.name.upper() == ASDF_EXTNAME), None)


def table_hdu(source: ByteSource, info: HDUInfo):
    """One table HDU (BINTABLE or ASCII TABLE) as an astropy HDU, from its bytes alone."""
    from astropy.io import fits

    raw = source.read(info.header_offset, info.header_size + info.data_size)
    cls = fits.TableHDU if info.kind == "TABLE" else fits.BinTableHDU
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls.fromstring(raw + b"\0" * ((-len(raw)) % 2880), uint=True)  # TZERO: unsigned


def asdf_bytes(source: ByteSource, info: HDUInfo) -> bytes:
    """The ASDF file kept in HDU ``info`` (any of the three layouts, see the module)."""
    if info.kind in ("OTHER", "IMAGE"):
        if info.kind == "IMAGE" and info.bitpix != 8:
            raise FormatError(source.name, f"an ASDF image extension must be 8-bit bytes, "
                              f"found BITPIX={info.bitpix}", info.label)
        blob = source.read(info.data_offset, info.data_size) if info.data_size else b""
        if blob[:2] == _GZIP_MAGIC:  # COMPRESS = T: fits_embed gzipped the whole file
            try:
                blob = gzip.decompress(blob)
            except (OSError, EOFError) as e:
                raise FormatError(source.name, f"corrupt gzip-compressed ASDF data: {e}",
                                  info.label) from None
        return blob
    if info.kind != "BINTABLE":
        raise FormatError(source.name, f"an ASDF extension must be a BINTABLE, an 8-bit IMAGE "
                          f"or XTENSION='ASDF'; found {info.kind}", info.label)
    cards = source.read(info.header_offset, info.header_size)
    fields = {}
    for i in range(0, len(cards) - 79, 80):
        key, value = cards[i:i + 8].strip(), cards[i + 10:i + 80].split(b"/")[0].strip()
        if key in (b"TFIELDS", b"TFORM1", b"TTYPE1", b"NAXIS1", b"NAXIS2"):
            fields[key.decode()] = value.strip(b"'").strip().decode("ascii", "replace")
    n = fields.get("NAXIS1", "")
    if (fields.get("TFIELDS") == "1" and fields.get("NAXIS2") == "1"
            and fields.get("TTYPE1", "").upper() == "ASDF_METADATA"
            and fields.get("TFORM1") == f"{n}B" and info.data_size >= int(n or 0) > 0):
        return source.read(info.data_offset, int(n))
    tab = table_hdu(source, info)
    if tab.columns is None or "ASDF_METADATA" not in tab.columns.names:
        raise FormatError(source.name, "no ASDF_METADATA column", info.label)
    if len(tab.data) == 0:
        return b""
    return np.asarray(tab.data["ASDF_METADATA"][0]).astype(np.uint8).tobytes()


def load_tree(blob: bytes, name: str, label: str) -> dict:
    """Parse an ASDF file's tree with asdf's YAML reader, leaving tags unconverted.

    This skips loading every installed asdf extension (1-4 s in a fresh process);
    values with tags other than ndarray stay as asdf's tagged containers.  An
    empty blob is an empty tree; anything unparsable is a :class:`FormatError`
    naming the file ``name`` and the extension ``label``."""
    from asdf.util import load_yaml

    if not blob.strip(b"\0 "):
        return {}
    try:
        tree = load_yaml(io.BytesIO(blob), tagged=True)
        if not isinstance(tree, dict):
            raise ValueError(f"the tree is a {type(tree).__name__}, not a mapping")
    except Exception as e:  # yaml and asdf raise many types for corrupt input
        raise FormatError(name, f"corrupt ASDF metadata: {type(e).__name__}: {e}",
                          label) from None
    return {k: v for k, v in tree.items()}


def link_arrays(node: Any, resolve: Callable[[str, int], Any]) -> Any:
    """Replace the ``fits:NAME,VER`` ndarray entries of a tree with ``resolve(NAME, VER)``
    (entries it returns None for stay as they are).

    asdf hands such an entry over as an NDArrayType (``_source``) or, when it
    cannot resolve the source, as a tagged dict with a ``source`` key."""
    tag = getattr(node, "_tag", None)
    src = getattr(node, "_source", None)
    if isinstance(node, dict) and isinstance(node.get("source"), str) and "shape" in node and (
            tag is None or "/ndarray-" in tag):
        src = node["source"]
    elif isinstance(node, dict):
        linked = {k: link_arrays(v, resolve) for k, v in node.items()}
        if tag is None or tag.startswith("tag:stsci.edu:asdf/core/asdf-"):
            return linked  # plain mappings and nested models (slits, spec ...)
        from asdf.tagged import TaggedDict

        return TaggedDict(linked, tag)  # times, transforms ... keep their tag
    if isinstance(node, list):
        return [link_arrays(v, resolve) for v in node]
    if isinstance(src, str):
        m = FITS_SOURCE.match(src)
        if m and m.group("name"):
            found = resolve(m.group("name").upper(), int(m.group("ver")))
            if found is not None:
                return found
    return node


def read_tree(source: ByteSource, hdus: list[HDUInfo],
              resolve: Callable[[str, int], Any]) -> dict:
    """The tree of the file's ASDF extension ({} when it has none), ``fits:`` array
    references replaced by ``resolve(EXTNAME, EXTVER)`` (see :func:`link_arrays`)."""
    info = find_asdf_hdu(hdus)
    if info is None:
        return {}
    return link_arrays(load_tree(asdf_bytes(source, info), source.name, info.label), resolve)


def open_asdf(blob: bytes):
    """An ASDF file's bytes as an ``asdf.AsdfFile`` with every tag converted by the
    installed asdf extensions (astropy Time, gwcs ...), arrays not loaded."""
    import asdf

    return asdf.open(io.BytesIO(blob), lazy_load=True, memmap=False,
                     ignore_unrecognized_tag=True, ignore_missing_extensions=True)
