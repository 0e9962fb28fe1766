"""The product protocol: which objects satisfy it, checked without running properties."""

from __future__ import annotations

import numpy as np
import pytest

import ramps
from ramps.products.api import LazyArray, ProductAPI, members, missing
from ramps.fits.write import write


@pytest.fixture
def product(tmp_path):
    path = write(tmp_path / "x_rateints.fits", "rateints",
                 {n: np.zeros((2, 4, 5), np.float32)
                  for n in ("SCI", "ERR", "VAR_POISSON", "VAR_RNOISE")}
                 | {"DQ": np.zeros((2, 4, 5), np.uint32)})
    with ramps.open(path) as p:
        yield p


def test_product_satisfies_the_protocol(product):
    assert isinstance(product, ProductAPI) and missing(product, ProductAPI) == []
    assert isinstance(product.sci, LazyArray) and isinstance(product.lazy("DQ"), LazyArray)
    assert product.model == "CubeModel"  # its DATAMODL, written by ramps.write


def test_asdf_product_satisfies_the_protocol(tmp_path, product):
    """An ASDF file's product (written by the asdf library) offers every member;
    ``format`` tells the two apart."""
    import asdf

    path = tmp_path / "plain.asdf"
    asdf.AsdfFile({"data": np.arange(20, dtype=np.float32).reshape(4, 5)}).write_to(path)
    with ramps.open(path) as p:
        assert missing(p, ProductAPI) == [] and isinstance(p, ProductAPI)
        assert (p.format, product.format) == ("asdf", "fits")
        assert p.header() is None


def test_members_are_the_issue_list():
    assert set(members(ProductAPI)) == {
        "format", "kind", "model", "extensions", "__getitem__", "read", "lazy", "sci", "meta", "header",
        "validate", "close", "__enter__", "__exit__"}


def test_an_object_missing_members_is_not_a_product():
    class Almost:
        kind = "rate"

        def read(self, name):
            return None

    assert not isinstance(Almost(), ProductAPI)
    assert "model" in missing(Almost(), ProductAPI) and "read" not in missing(Almost(), ProductAPI)
    assert not isinstance({"SCI": np.zeros(2)}, ProductAPI)
    assert not isinstance(np.zeros(3), LazyArray)  # no read()


def test_isinstance_runs_no_property():
    """A product whose ``meta`` and ``sci`` raise when touched (no ASDF, no SCI): the check
    looks the members up on the class, so it neither raises nor parses anything."""
    touched = []

    class Lazy:
        format, kind, model, extensions = "fits", "x", None, []

        @property
        def sci(self):
            touched.append("sci")
            raise KeyError("no SCI")

        @property
        def meta(self):
            touched.append("meta")
            raise RuntimeError("parsed")

        def __getitem__(self, key): ...
        def read(self, name): ...
        def lazy(self, name): ...
        def header(self): ...
        def validate(self): ...
        def close(self): ...
        def __enter__(self): ...
        def __exit__(self, *exc): ...

    assert isinstance(Lazy(), ProductAPI) and touched == []
