"""stdatamodels' FITS layout of a model, without astropy's per-card cost: for ramps.save.

:func:`model_hdus` gives the HDUs ``stdatamodels.fits_support.to_fits`` makes
for a model, as ramps' :class:`~ramps.fits.layout.Hdu` records, by the same
steps (stdatamodels 6):

* the schema walk is stdatamodels' own: the asdf validator with
  ``fits_support._get_validators`` (section titles, list indices, type and tag
  checks), only its three HDU-touching callbacks (``fits_keyword``; ``ndim`` /
  ``max_ndim`` / ``datatype``) are re-stated here over the light HDUs of
  :mod:`ramps.bridge.jwst_hdus`, statement for statement;
* arrays linked into the tree, ``extra_fits`` and history written, the
  ``_fits_hash`` of the headers (``fits_support.fits_hash``, over the same
  header text), the ``ASDF`` extension last (written by the asdf library, as
  stdatamodels writes it; above :data:`~ramps.fits.asdf_extension.FLOW_NODES_ABOVE`
  array nodes those nodes are written in flow style, the same tree).

The file's headers are byte for byte ``model.save``'s (the tests compare them,
and the hashes).  Whatever the light HDUs do not model raises
:class:`~ramps.bridge.jwst_hdus.Unsupported` (the caller then uses ``to_fits``).
"""

from __future__ import annotations

import datetime
import warnings
import weakref
from typing import Any

import numpy as np

from ramps.bridge.hdu_records import (
    CHECKSUM_KEYS,
    header_cards,
    image_record,
    serialized_record,
)
from ramps.bridge.jwst_hdus import FastImage, HDUList, Unsupported
from ramps.fits.asdf_extension import asdf_table
from ramps.fits.layout import Hdu

__all__ = ["model_hdus"]


def _fs():
    from stdatamodels import fits_support

    return fits_support


def _get_hdu(hdul: HDUList, hdu_name: Any, index: Any = None) -> Any:
    """fits_support.get_hdu over :class:`HDUList`."""
    pair = hdu_name if index is None else (hdu_name, index + 1)
    try:
        hdu = hdul.lookup(pair)
    except (KeyError, IndexError, AttributeError):
        try:
            if isinstance(pair, str):
                hdu = hdul.lookup((pair, 1))
            elif isinstance(pair, tuple) and index == 0:
                hdu = hdul.lookup(pair[0])
            else:
                raise
        except (KeyError, IndexError, AttributeError) as err:
            raise AttributeError(f"Property missing because FITS file has no '{pair!r}' HDU"
                                 ) from err
    if index is not None and hdu.header.get("EXTVER", 1) != index + 1:
        raise AttributeError(f"Property missing because FITS file has no {pair!r} HDU")
    return hdu


def _make_hdu(hdul: HDUList, hdu_name: Any, index: Any = None, hdu_type: Any = None,
              value: Any = None) -> Any:
    """fits_support._make_hdu, with :class:`FastImage` for plain images."""
    from asdf.tags.core import NDArrayType
    from astropy.io import fits

    if isinstance(value, NDArrayType):
        value = np.asarray(value)
    if hdu_type is None:
        hdu_type = _fs()._get_hdu_type(hdu_name, value=value) or fits.ImageHDU
    if hdu_type is fits.PrimaryHDU:
        raise Unsupported("a second primary HDU")
    if hdu_type is fits.ImageHDU and isinstance(hdu_name, str) \
            and hdu_name == hdu_name.strip().upper() and FastImage.holds(value):
        hdu = FastImage(hdu_name, value)
    else:
        hdu = hdu_type(value, name=hdu_name)
    if index is not None:
        if isinstance(hdu, FastImage):
            hdu.header["EXTVER"] = (index + 1, "extension value")
        else:
            hdu.ver = index + 1
    hdul.append(hdu)
    return hdu


def _set_data(hdu: Any, value: Any) -> None:
    if isinstance(hdu, FastImage):
        hdu.set_data(value)
    else:
        hdu.data = value


def _get_or_make_hdu(hdul: HDUList, hdu_name: Any, index: Any = None, hdu_type: Any = None,
                     value: Any = None) -> Any:
    """fits_support._get_or_make_hdu over :class:`HDUList`."""
    try:
        hdu = _get_hdu(hdul, hdu_name, index=index)
    except AttributeError:
        hdu = _make_hdu(hdul, hdu_name, index=index, hdu_type=hdu_type, value=value)
    else:
        if hdu_type is not None and not isinstance(hdu, hdu_type):
            new_hdu = _make_hdu(hdul, hdu_name, index=index, hdu_type=hdu_type, value=value)
            for key, val in list(hdu.header.items()):
                if not _fs().is_builtin_fits_keyword(key):
                    new_hdu.header[key] = val
            hdul.remove(hdu)
            hdu = new_hdu
        elif value is not None:
            _set_data(hdu, value)
    return hdu


def _element_writer(ctx: Any, validator: Any, fits_keyword: Any, instance: Any,
                    schema: dict) -> None:
    """fits_support._fits_element_writer."""
    fs = _fs()
    if schema.get("type", "object") == "array":
        raise ValueError("'fits_keyword' is not valid with type of 'array'")
    if fits_keyword in ("EXTNAME", "EXTVER"):
        raise Unsupported(f"schema keyword {fits_keyword}")
    hdu = _get_or_make_hdu(ctx.hdulist(), fs._get_hdu_name(schema), index=ctx.sequence_index)
    for comment in ctx.comment_stack:
        hdu.header.append((" ", ""), end=True)
        hdu.header.append((" ", comment), end=True)
        hdu.header.append((" ", ""), end=True)
    ctx.comment_stack = []
    comment = fs._get_short_doc(schema)
    if fits_keyword in ("COMMENT", "HISTORY"):
        for item in instance:
            hdu.header[fits_keyword] = item
    elif fits_keyword in hdu.header:
        hdu.header[fits_keyword] = (instance, comment)
    else:
        hdu.header.append((fits_keyword, instance, comment), end=True)


def _array_writer(ctx: Any, validator: Any, _: Any, instance: Any, schema: dict) -> Any:
    """fits_support._fits_array_writer."""
    from asdf.tags.core import ndarray
    from stdatamodels import validate

    fs = _fs()
    if instance is None:
        return
    instance_id = id(instance)
    instance = np.asanyarray(instance)
    if not len(instance.shape):
        return
    if "ndim" in schema:
        yield from ndarray.validate_ndim(validator, schema["ndim"], instance, schema)
    if "max_ndim" in schema:
        yield from ndarray.validate_max_ndim(validator, schema["max_ndim"], instance, schema)
    if "datatype" in schema:
        yield from validate._validate_datatype(validator, schema["datatype"], instance, schema)
    hdu_name = fs._get_hdu_name(schema)
    fs._assert_non_primary_hdu(hdu_name)
    index = ctx.sequence_index
    if index is None:
        index = 0
    hdu_type = fs._get_hdu_type(hdu_name, schema=schema, value=instance)
    hdul = ctx.hdulist()
    hdu = _get_or_make_hdu(hdul, hdu_name, index=index, hdu_type=hdu_type)
    _set_data(hdu, instance)
    if instance_id in ctx.extension_array_links:
        if ctx.extension_array_links[instance_id]() is not hdu:
            raise ValueError("Linking one array to multiple hdus is not supported")
    ctx.extension_array_links[instance_id] = weakref.ref(hdu)
    hdul.set_ver(hdu, index + 1)


def _prepare_callback(node: Any) -> Any:
    """fits_support._normalize_arrays's callback, then _save_from_schema's datetime_callback
    (both change leaves only, so one walk does what their two walks do)."""
    from astropy import time

    if isinstance(node, np.ndarray):
        return node if node.flags.c_contiguous else node.copy()
    if isinstance(node, datetime.datetime):
        node = time.Time(node)
    if isinstance(node, time.Time):
        node = str(time.Time(node, format="iso"))
    return node


def _save_from_schema(hdul: HDUList, tree: dict, schema: dict, fitsrecs: list) -> dict:
    """fits_support._normalize_arrays and _save_from_schema over :class:`HDUList`;
    the FITS_rec nodes left in the tree are listed in ``fitsrecs``."""
    from functools import partial

    from asdf import schema as asdf_schema
    from asdf import treeutil
    from astropy.io.fits import FITS_rec

    fs = _fs()
    tree = treeutil.walk_and_modify(tree, _prepare_callback)
    validators, context = fs._get_validators(hdul)
    writer = partial(_array_writer, context)
    validators.update({"fits_keyword": partial(_element_writer, context),
                       "ndim": writer, "max_ndim": writer, "datatype": writer})
    validator = asdf_schema.get_validator(schema, None, validators, _visit_repeat_nodes=True)
    validator.validate(tree, _schema=schema)
    where = {id(h): i for i, h in enumerate(hdul)}
    datas = {id(h.data) for h in hdul if h.data is not None}

    def callback(node: Any) -> Any:
        if id(node) in context.extension_array_links:
            hdu = context.extension_array_links[id(node)]()
            return fs._create_tagged_dict_for_fits_array(hdu, where[id(hdu)])
        if isinstance(node, np.ndarray) and id(node) in datas:
            raise Unsupported("an array of the tree is an HDU's data without a link")
        if isinstance(node, FITS_rec):
            fitsrecs.append(node)
        return node

    return treeutil.walk_and_modify(tree, callback)


def _save_extra_fits(hdul: HDUList, tree: dict) -> dict:
    """fits_support._save_extra_fits over :class:`HDUList`."""
    fs = _fs()
    for hdu_name, parts in tree.get("extra_fits", {}).items():
        if "data" in parts:
            hdu_type = fs._get_hdu_type(hdu_name, value=parts["data"])
            hdu = _get_or_make_hdu(hdul, hdu_name, hdu_type=hdu_type, value=parts["data"])
            node = fs._create_tagged_dict_for_fits_array(hdu, hdul.index(hdu))
            tree["extra_fits"][hdu_name]["data"] = node
        if "header" in parts:
            hdu = _get_or_make_hdu(hdul, hdu_name)
            for key, val, comment in parts["header"]:
                if fs.is_builtin_fits_keyword(key):
                    continue
                hdu.header.append((key, val, comment), end=True)
    return tree


def records(hdul: Any) -> list[Hdu]:
    """Laid-out HDUs (this module's light list, or astropy's from ``to_fits``) as ramps'
    Hdu records, images straight from the model's arrays."""
    from astropy.io import fits

    out = []
    for i, hdu in enumerate(hdul):
        if i == 0:
            if hdu.data is not None:
                raise ValueError("primary HDU data are not written by ramps.save")
            out.append(Hdu("PRIMARY", 1, header_cards(hdu.header), "bytes", b"", 0))
        elif isinstance(hdu, FastImage):
            cards = [c for c in hdu.images() if c[:8].rstrip() not in CHECKSUM_KEYS]
            if hdu.data is None:
                out.append(Hdu(hdu.name, hdu.ver, cards, "bytes", b"", 0))
            else:
                bitpix, bzero = hdu.encoding
                out.append(Hdu(hdu.name, hdu.ver, cards, "array", hdu.data,
                               hdu.data.size * hdu.data.dtype.itemsize, bitpix, bzero))
        else:
            image = image_record(hdu) if isinstance(hdu, fits.ImageHDU) else None
            out.append(image if image is not None else serialized_record(hdu))
    return out


def model_hdus(model: Any) -> list[Hdu]:
    """The HDUs ``model.save`` writes (call ``model.on_save`` first), laid out as
    ``fits_support.to_fits`` lays them out; raises Unsupported where it cannot."""
    from astropy.io import fits
    from stdatamodels.util import convert_fitsrec_to_array_in_tree

    fs = _fs()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Card is too long")
        hdul = HDUList(fits.PrimaryHDU())
        fitsrecs: list = []
        tree = _save_from_schema(hdul, model._instance, model._schema, fitsrecs)
        tree = _save_extra_fits(hdul, tree)
        fs._save_history(hdul, tree)
        tree[fs.FITS_HASH_KEY] = fs.fits_hash(hdul)
        if "ASDF" in hdul:
            hdul.remove(hdul.lookup("ASDF"))
        laid_out = records(hdul)
        if not getattr(model, "_no_asdf_extension", False):
            if fitsrecs:  # else the walk would only copy the (already copied) tree
                tree = convert_fitsrec_to_array_in_tree(tree)
            cards, blob = asdf_table(tree, direct=False)
            laid_out.append(Hdu("ASDF", 1, cards, "bytes", blob, len(blob)))
    return laid_out
