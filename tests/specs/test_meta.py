"""ramps.specs.meta: p.meta with attribute access, and write(meta=...) taking both shapes.

The round trip is checked by the reference: a file written by
``ramps.write(..., meta=p.meta)`` opened by stdatamodels has the instrument and
exposure metadata of the original.  Before, p.meta (the inner mapping) passed
back to write was taken as a tree without "meta" and the metadata was dropped.
"""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import ramps
from ramps.specs.meta import Meta, as_tree, wrap

import stdatamodels.jwst.datamodels as dm

PLAIN = {"exposure": {"nints": 2, "type": "NRC_IMAGE"},
         "subarray": [{"name": "FULL"}, {"name": "SUB64"}], "model_type": "RampModel"}


def test_attribute_access_and_mapping_equality():
    m = wrap(copy.deepcopy(PLAIN))
    assert isinstance(m, Meta) and isinstance(m, dict)
    assert m == PLAIN and m.exposure == PLAIN["exposure"]
    assert m.exposure.nints == 2 == m["exposure"]["nints"]
    assert m.subarray[1].name == "SUB64" and isinstance(m.subarray, list)
    assert hasattr(m, "exposure") and not hasattr(m, "nothing")
    assert getattr(m, "nothing", 7) == 7
    with pytest.raises(AttributeError, match="'nothing'"):
        m.nothing
    with pytest.raises(KeyError):
        m["nothing"]
    m.observation = {"date": "2024-01-01"}
    assert m["observation"].date == "2024-01-01"
    m.exposure.nints = 5
    assert m["exposure"]["nints"] == 5
    del m.observation
    assert "observation" not in m
    assert "exposure" in dir(m) and "items" in dir(m)
    assert list(m.items())[0][0] == "exposure"  # dict methods win over keys


def test_copies_pickles_and_plain_dicts():
    m = wrap(copy.deepcopy(PLAIN))
    for other in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m), copy.copy(m)):
        assert other == m and other.exposure.nints == 2
    plain = m.to_dict()
    assert plain == PLAIN and type(plain) is dict and type(plain["exposure"]) is dict
    assert type(plain["subarray"][0]) is dict
    assert "Meta(" in repr(m)


def test_tagged_values_keep_their_tag():
    from asdf.tagged import TaggedDict

    t = TaggedDict({"value": "2024-01-01T00:00:00"}, "tag:stsci.edu:asdf/time/time-1.1.0")
    m = wrap({"date": t, "x": {"y": 1}})
    assert m["date"] is t and m.x.y == 1


def test_as_tree_rule():
    inner = {"exposure": {"nints": 2}}
    assert as_tree(None) is None
    assert as_tree(inner) == {"meta": inner}
    tree = {"meta": inner, "slits": [{}]}
    assert as_tree(tree) is tree
    assert as_tree({}) == {} and as_tree({"extra_fits": {}}) == {"extra_fits": {}}
    with pytest.raises(ValueError, match="extra_fits.*exposure"):
        as_tree({"extra_fits": {}, "exposure": {}})
    with pytest.raises(TypeError, match="list"):
        as_tree([("meta", {})])


def _rate(path):
    rng = np.random.default_rng(3)
    f = lambda: rng.random((6, 7), dtype=np.float32)  # noqa: E731
    m = dm.ImageModel(data=f(), err=f(), dq=np.zeros((6, 7), np.uint32),
                      var_poisson=f(), var_rnoise=f())
    m.meta.instrument.name = "NIRCAM"
    m.meta.instrument.detector = "NRCALONG"
    m.meta.instrument.filter = "F444W"
    m.meta.exposure.type = "NRC_IMAGE"
    m.meta.exposure.nints = 4
    m.meta.exposure.ngroups = 7
    m.meta.observation.date = "2024-01-01"
    m.meta.observation.time = "00:00:00"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.save(path)
    return m


@pytest.mark.parametrize("shape", ["bare", "tree"])
def test_meta_round_trips_through_write(tmp_path, shape):
    src = tmp_path / "jw01234001001_01101_00001_nrcalong_rate.fits"
    _rate(src)
    out = tmp_path / "copy_rate.fits"
    with ramps.open(src) as p:
        assert p.meta.exposure.nints == 4
        arrays = {n: p.read(n) for n in ("SCI", "ERR", "DQ", "VAR_POISSON", "VAR_RNOISE")}
        meta = p.meta if shape == "bare" else {"meta": p.meta}
        ramps.write(out, "rate", arrays, meta=meta)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with dm.open(src) as a, dm.open(out) as b:
                for section in ("instrument", "exposure"):
                    assert getattr(b.meta, section).instance == getattr(a.meta, section).instance, section
                assert b.meta.exposure.nints == 4 and b.meta.instrument.filter == "F444W"
                np.testing.assert_array_equal(b.data, a.data)
    with ramps.open(out) as q:
        assert q.meta.instrument.detector == "NRCALONG" and q.meta.exposure.ngroups == 7
