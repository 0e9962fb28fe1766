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
from collections.abc import Callable
from typing import Any

import numpy as np

from ramps.errors import FormatError, TreeTooLargeError
from ramps.fits.index import HDUInfo
from ramps.fits.index import BLOCK
from ramps.sources import ByteSource
from ramps.specs import walk
from ramps.specs.walk import Leaf

__all__ = [
    "ASDF_EXTNAME",
    "TreeTooLarge",
    "asdf_bytes",
    "find_asdf_hdu",
    "link_arrays",
    "load_tree",
    "open_asdf",
    "read_tree",
    "table_hdu",
]

ASDF_EXTNAME = "ASDF"
FITS_SOURCE = re.compile(r"fits:(?:(?P<name>[ -~]+),)?(?P<ver>[0-9]+)$")
_GZIP_MAGIC = b"\x1f\x8b"


def find_asdf_hdu(hdus: list[HDUInfo]) -> HDUInfo | None:
    """The first extension named ASDF, whatever its EXTVER (astropy's ``hdul["ASDF"]``)."""
    return next((h for h in hdus[1:] if h.name.upper() == ASDF_EXTNAME), None)


def table_hdu(source: ByteSource, info: HDUInfo):
    """One table HDU (BINTABLE or ASCII TABLE) as an astropy HDU, from its bytes alone."""
    from astropy.io import fits

    raw = source.read(info.header_offset, info.header_size + info.data_size)
    cls = fits.TableHDU if info.kind == "TABLE" else fits.BinTableHDU
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:  # astropy parses lazily: touch the data so that any error surfaces here
            hdu = cls.fromstring(raw + b"\0" * ((-len(raw)) % BLOCK), uint=True)  # TZERO: unsigned
            hdu.data  # noqa: B018
        except Exception as e:  # astropy raises many types on malformed tables
            raise FormatError(source.name, f"malformed table: {type(e).__name__}: {e}",
                              info.label) from None
    return hdu


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
    if tab.data is None or len(tab.data) == 0:
        return b""
    try:
        return np.asarray(tab.data["ASDF_METADATA"][0]).astype(np.uint8).tobytes()
    except (TypeError, ValueError, IndexError, OverflowError) as e:
        raise FormatError(source.name, f"the ASDF_METADATA column is not bytes: "
                          f"{type(e).__name__}: {e}", info.label) from None


def load_tree(blob: bytes, name: str, label: str) -> dict:
    """Parse an ASDF file's tree with asdf's YAML reader, leaving tags unconverted.

    This skips loading every installed asdf extension (1-4 s in a fresh process);
    values with tags other than ndarray stay as asdf's tagged containers.  An
    empty blob is an empty tree; anything unparsable is a :class:`FormatError`
    naming the file ``name`` and the extension ``label``."""
    import yaml
    from asdf import constants
    from asdf.yamlutil import AsdfLoader

    if not blob.strip(b"\0 "):
        return {}
    try:
        end = re.search(constants.YAML_END_MARKER_REGEX, blob)
        if end is None:
            raise ValueError("no end of the YAML document ('...')")
        tree = yaml.load(blob[:end.end()], Loader=walk.bounded_loader(AsdfLoader, name, label))
        if not isinstance(tree, dict):
            raise ValueError(f"the tree is a {type(tree).__name__}, not a mapping")
    except TreeTooLargeError:
        raise
    except Exception as e:  # yaml and asdf raise many types for corrupt input
        raise FormatError(name, f"corrupt ASDF metadata: {type(e).__name__}: {e}",
                          label) from None
    return {k: v for k, v in tree.items()}


#: Refused by :func:`link_arrays` (a FormatError naming the file and the extension).
TreeTooLarge = TreeTooLargeError


def link_arrays(node: Any, resolve: Callable[[str, int], Any], *, name: str = "<tree>",
                where: str | None = None, max_nodes: int | None = None) -> Any:
    """Replace the ``fits:NAME,VER`` ndarray entries of a tree with ``resolve(NAME, VER)``
    (entries it returns None for stay as they are).

    asdf hands such an entry over as an NDArrayType (``_source``) or, when it
    cannot resolve the source, as a tagged dict with a ``source`` key.

    The walk is :func:`ramps.specs.walk.copy`'s: a node the YAML repeats through
    aliases (``&a`` ... ``*a``) is linked once and shared in the result, as in the
    input (``out["x"] is out["y"]``), cycles included; a tree over the node budget
    (``max_nodes``, default :data:`ramps.specs.walk.MAX_TREE_NODES`) raises
    :class:`~ramps.errors.TreeTooLargeError` naming ``name`` and ``where``."""
    from asdf.tagged import TaggedDict

    def shell(node: Any, _path: str) -> Any:
        if isinstance(node, list):
            return []
        tag = getattr(node, "_tag", None)
        if isinstance(node.get("source"), str) and "shape" in node and (
                tag is None or "/ndarray-" in tag):
            return Leaf(_leaf(node, resolve, node["source"]))
        if tag is None or tag.startswith("tag:stsci.edu:asdf/core/asdf-"):
            return {}  # plain mappings and nested models (slits, spec ...)
        return TaggedDict({}, tag)  # times, transforms ... keep their tag

    return walk.copy(node, shell, leaf=lambda v: _leaf(v, resolve), name=name, where=where,
                     max_nodes=max_nodes)


def _leaf(node: Any, resolve: Callable[[str, int], Any], src: Any = None) -> Any:
    """An ndarray entry resolved to what ``resolve`` gives, or ``node`` itself."""
    if src is None:
        src = getattr(node, "_source", None)
    if isinstance(src, str):
        m = FITS_SOURCE.match(src)
        if m and m.group("name"):
            found = resolve(m.group("name").upper(), int(m.group("ver")))
            if found is not None:
                return found
    return node


def read_tree(source: ByteSource, hdus: list[HDUInfo],
              resolve: Callable[[str, int], Any], *, only: str | None = None) -> dict:
    """The tree of the file's ASDF extension ({} when it has none), ``fits:`` array
    references replaced by ``resolve(EXTNAME, EXTVER)`` (see :func:`link_arrays`).
    With ``only``, the tree's one entry of that key (``{}`` without it): the tables
    and arrays the rest of the tree links to are not resolved (not read)."""
    info = find_asdf_hdu(hdus)
    if info is None:
        return {}
    try:
        blob = asdf_bytes(source, info)
    except FormatError as e:  # truncated, or shrunk while open: name the extension
        raise e.at(info.label) from None
    tree = load_tree(blob, source.name, info.label)
    if only is not None:
        tree = {only: tree[only]} if isinstance(tree, dict) and only in tree else {}
    return link_arrays(tree, resolve, name=source.name, where=info.label)


def open_asdf(blob: bytes):
    """An ASDF file's bytes as an ``asdf.AsdfFile`` with every tag converted by the
    installed asdf extensions (astropy Time, gwcs ...), arrays not loaded."""
    import asdf

    return asdf.open(io.BytesIO(blob), lazy_load=True, memmap=False,
                     ignore_unrecognized_tag=True, ignore_missing_extensions=True)
