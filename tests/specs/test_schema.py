"""Tests of ramps.specs.schema: stdatamodels schemas -> FITS keywords and array places."""

from __future__ import annotations

import subprocess
import sys


from ramps.specs.schema import ATTRS, fallback_path, load_schema, schema_cache
from ramps.specs import PRODUCTS

import stdatamodels.jwst.datamodels  # noqa: E402,F401  (a test extra)


def test_ramps_import_does_not_import_stdatamodels():
    """Importing ramps, its writer and this module must not load stdatamodels (or asdf):
    both are imported only when a schema is first needed."""
    code = ("import sys, ramps, ramps.specs.schema, ramps.fits.write\n"
            "print(sorted(m for m in ('stdatamodels', 'asdf') if m in sys.modules))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "[]", res.stderr


def test_fallback_attributes_match_the_schemas():
    checked = 0
    for spec in PRODUCTS.values():
        for model in spec.models:
            schema = load_schema(model)
            assert schema is not None, model
            for name in ATTRS:
                if name in schema.arrays:
                    assert fallback_path(model, name) == schema.path(name), (model, name)
                    checked += 1
    assert checked > 50


def test_schema_cache_round_trip(tmp_path, monkeypatch):
    """The merged stdatamodels schema is cached as JSON per stdatamodels version and the
    cached copy drives the same header cards as a fresh load."""
    monkeypatch.setenv("RAMPS_CACHE_DIR", str(tmp_path / "cache"))
    load_schema.cache_clear()
    fresh = load_schema("RampModel")
    cached_file = schema_cache("RampModel")
    assert cached_file is not None and cached_file.is_file()
    assert "stdatamodels-" in cached_file.parent.name
    load_schema.cache_clear()
    again = load_schema("RampModel")
    tree = {"meta": {"exposure": {"nints": 3, "ngroups": 4}, "instrument": {"name": "NIRCAM"}}}
    assert again.cards(tree) == fresh.cards(tree)
    assert any(card[0] == "NINTS" for cards in again.cards(tree).values() for card in cards)
    monkeypatch.setenv("RAMPS_CACHE_DIR", "")
    assert schema_cache("RampModel") is None
    load_schema.cache_clear()


def test_the_test_run_has_its_own_schema_cache():
    """tests/conftest.py points RAMPS_CACHE_DIR at a folder of this run (not the home
    folder's cache shared by every run), so a stale cache cannot hide a schema change."""
    import os
    import tempfile
    from pathlib import Path

    root = Path(os.environ["RAMPS_CACHE_DIR"])
    assert root.name.startswith("ramps-test-cache-")
    assert root.parent == Path(tempfile.gettempdir())
    cached = schema_cache("RampModel")
    assert cached is None or root in cached.parents
