"""Roman files written by roman_datamodels (the reference), with real-looking arrays.

``roman_file(model, compression)`` builds a model with ``create_fake_data``,
replaces every array with plausible values of its dtype (detector counts,
sparse DQ bits, positive variances ...; fake data is all zeros, which would
hide decoding errors), saves it with ``all_array_compression`` and returns
the path and the model's arrays.  Files are made once per session.
"""

import warnings

import numpy as np
import pytest

import roman_datamodels.datamodels as rdm

#: (model class, ramps kind, level) of every Roman product the tests write
KINDS = [("ScienceRawModel", "wfi_science_raw", 1), ("RampModel", "ramp", 2),
         ("ImageModel", "wfi_image", 2), ("MosaicModel", "wfi_mosaic", 3),
         ("SegmentationMapModel", "segmentation_map", 4),
         ("ImageSourceCatalogModel", "image_source_catalog", 4),
         ("MosaicSourceCatalogModel", "mosaic_source_catalog", 4)]

SHAPES = {  # small but with several lz4 chunks where it matters (see CHUNK_BYTES)
    "ScienceRawModel": (6, 96, 80),
    "RampModel": (4, 40, 48),
    "ImageModel": (64, 56),
    "MosaicModel": (50, 44),
    "SegmentationMapModel": (30, 36),
    "MosaicSegmentationMapModel": (30, 36),
    "ImageSourceCatalogModel": (25,),
    "MosaicSourceCatalogModel": (25,),
}


def plausible(arr: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Values of arr's dtype and shape that look like real data."""
    dt, shape = arr.dtype, arr.shape
    if dt == np.uint16:
        return rng.normal(20000, 60, shape).clip(0, 65535).astype(dt)
    if dt in (np.uint32, np.uint8):  # DQ: mostly 0, a few flags
        return (rng.random(shape) < 0.05).astype(dt) * dt.type(1 << int(rng.integers(0, 8)))
    if dt == np.float16:
        return rng.gamma(2.0, 0.5, shape).astype(dt)
    if dt.kind == "f":
        return rng.normal(1.5, 0.3, shape).astype(dt)
    if dt.kind in "iu":
        return rng.integers(0, 1000, shape).astype(dt)
    if dt.kind == "b":
        return rng.random(shape) < 0.5
    return arr


def fill(model, rng) -> dict:
    arrays = {}
    node = model._instance
    for name in list(node.keys()):
        value = node[name]
        if isinstance(value, np.ndarray):
            node[name] = plausible(value, rng)
            arrays[name] = node[name]
    if "source_catalog" in node:
        from astropy.table import Table

        old = node["source_catalog"]
        n = SHAPES[type(model).__name__][0]
        new = Table()
        for col in old.colnames:
            new[col] = plausible(np.zeros(n, old[col].dtype), rng)
            new[col].unit = old[col].unit
        node["source_catalog"] = new
        arrays["source_catalog"] = new
    return arrays


_CACHE: dict = {}


@pytest.fixture(scope="session")
def roman_file(tmp_path_factory):
    """(path, arrays) of a model saved by roman_datamodels with a compression."""

    def make(model: str, compression="lz4", shape=None):
        key = (model, compression, shape)
        if key not in _CACHE:
            rng = np.random.default_rng(abs(hash(key)) % 2**32)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = getattr(rdm, model).create_fake_data(shape=shape or SHAPES[model])
                arrays = fill(m, rng)
                path = tmp_path_factory.mktemp("roman") / f"{model}_{compression}.asdf"
                m.save(str(path), all_array_compression=compression)
            _CACHE[key] = (path, arrays)
        return _CACHE[key]

    return make
