"""Models built with stdatamodels itself, one per model class the bridge is tested on
(``MAKERS``); conftest.py saves each with stdatamodels (the ``model_files`` fixture)."""

from __future__ import annotations


import numpy as np
from stdatamodels.jwst import datamodels as dm


def _meta(m, **extra) -> None:
    m.meta.instrument.name = "NIRCAM"
    m.meta.instrument.detector = "NRCALONG"
    m.meta.exposure.type = "NRC_TSGRISM"
    m.meta.exposure.nints = 2
    m.meta.observation.date = "2026-01-02"
    m.meta.target.ra = 12.5
    for k, v in extra.items():
        setattr(m.meta.exposure, k, v)


def _rng():
    return np.random.default_rng(12)


def level1b():
    r = _rng()
    m = dm.Level1bModel(data=r.integers(0, 65535, (2, 3, 8, 10)).astype(np.uint16))
    _meta(m, ngroups=3)
    return m


def ramp():
    r = _rng()
    m = dm.RampModel(data=r.normal(size=(2, 3, 8, 10)).astype(np.float32))
    m.pixeldq = r.integers(0, 4, (8, 10)).astype(np.uint32)
    m.groupdq = r.integers(0, 4, (2, 3, 8, 10)).astype(np.uint8)
    _meta(m, ngroups=3)
    return m


def image():
    r = _rng()
    m = dm.ImageModel(data=r.normal(size=(8, 10)).astype(np.float32))
    m.dq = r.integers(0, 9, (8, 10)).astype(np.uint32)
    m.err = np.abs(m.data)
    m.var_poisson = m.data ** 2
    _meta(m)
    m.extra_fits = {"PRIMARY": {"header": [["MYKEY", 7, "a keyword no schema knows"]]}}
    return m


def cube():
    r = _rng()
    m = dm.CubeModel(data=r.normal(size=(2, 8, 10)).astype(np.float32))
    m.dq = np.zeros((2, 8, 10), np.uint32)
    m.err = np.ones((2, 8, 10), np.float32)
    _meta(m)
    return m


def multislit():
    r = _rng()
    m = dm.MultiSlitModel()
    _meta(m)
    for i in range(3):
        s = dm.SlitModel(data=r.normal(size=(5, 7 + i)).astype(np.float32))
        s.dq = np.full((5, 7 + i), i, np.uint32)
        s.err = np.ones((5, 7 + i), np.float32)
        s.name, s.xstart, s.source_id = f"S{i}", 10 * i + 1, 100 + i
        m.slits.append(s)
    return m


def multispec():
    m = dm.MultiSpecModel()
    _meta(m)
    for i in range(2):
        s = dm.SpecModel()
        s.spec_table = _spec_table(s, 6 + i)
        s.name = f"SRC{i}"
        m.spec.append(s)
    return m


def _spec_table(s, n):
    from stdatamodels.properties import _get_schema_for_property
    from asdf.tags.core.ndarray import asdf_datatype_to_numpy_dtype

    dtype = asdf_datatype_to_numpy_dtype(_get_schema_for_property(s._schema, "spec_table")
                                         ["datatype"])
    t = np.zeros(n, dtype)
    t["WAVELENGTH"] = np.linspace(1, 2, n)
    t["FLUX"] = np.arange(n)
    return t


def mask():
    m = dm.MaskModel(dq=np.arange(80, dtype=np.uint32).reshape(8, 10) % 5)
    m.dq_def = np.array([(0, 1, "DO_NOT_USE", "Bad pixel"), (1, 2, "DEAD", "Dead")],
                        dtype=[("BIT", "<i4"), ("VALUE", "<u4"), ("NAME", "S40"),
                               ("DESCRIPTION", "S80")])
    m.meta.instrument.name, m.meta.instrument.detector = "NIRCAM", "NRCALONG"
    m.meta.reftype = "MASK"
    m.meta.author, m.meta.pedigree, m.meta.useafter = "ramps", "GROUND", "2022-01-01T00:00:00"
    m.meta.description = "a mask"
    # a table no schema knows, with a boolean column, kept in extra_fits
    m.extra_fits = {"FLAGS": {"data": np.array([(1, True), (2, False)],
                                               dtype=[("ID", ">i4"), ("OK", "?")])}}
    return m


MAKERS = {"Level1bModel": level1b, "RampModel": ramp, "ImageModel": image, "CubeModel": cube,
          "MultiSlitModel": multislit, "MultiSpecModel": multispec, "MaskModel": mask}
