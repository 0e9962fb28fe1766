"""Segment keywords (one definition), the segment plan and the header/meta helpers,
against astropy Headers built by hand."""

from __future__ import annotations

import pytest
from astropy.io import fits

from ramps.products.segments import (SEGMENT_KEYWORDS, SEGMENT_META, Segment, SegmentError,
    plan_segments, read_segment, segment_header, segment_meta)


def test_keywords_and_meta_names_pair_up():
    assert SEGMENT_KEYWORDS == ("EXSEGNUM", "EXSEGTOT", "INTSTART", "INTEND")
    assert SEGMENT_META == ("segment_number", "segment_total", "integration_start",
                            "integration_end")
    assert Segment._fields == ("number", "total", "start", "end")


def test_read_segment():
    h = fits.Header([("EXSEGNUM", 2), ("EXSEGTOT", 3), ("INTSTART", 4), ("INTEND", "6")])
    assert read_segment(h) == Segment(2, 3, 4, 6)
    assert read_segment(fits.Header([("NINTS", 7)])) is None
    del h["INTEND"]
    with pytest.raises(SegmentError, match=r"f\.fits: incomplete segment keywords.*INTEND"):
        read_segment(h, "f.fits")


def test_segment_header_sets_or_removes():
    h = fits.Header([("NINTS", 7), ("EXSEGNUM", 9), ("EXSEGNUM", 9)])
    got = segment_header(h, Segment(1, 3, 1, 3))
    assert [got[k] for k in SEGMENT_KEYWORDS] == [1, 3, 1, 3] and got["NINTS"] == 7
    assert list(got.keys()).count("EXSEGNUM") == 1 and h["EXSEGNUM"] == 9  # a copy
    whole = segment_header(got, None)
    assert not set(SEGMENT_KEYWORDS) & set(whole.keys()) and whole["NINTS"] == 7
    assert segment_header(None, None) == fits.Header()


def test_segment_meta_sets_or_removes():
    meta = {"instrument": {"name": "NIRCAM"},
            "exposure": {"nints": 3, "segment_number": 1, "integration_end": 3}}
    whole = segment_meta(meta, None, nints=7)
    assert whole["exposure"] == {"nints": 7} and whole["instrument"] is meta["instrument"]
    assert meta["exposure"]["segment_number"] == 1  # the input is left alone
    seg = segment_meta({}, Segment(2, 3, 4, 6))
    assert seg == {"exposure": {"segment_number": 2, "segment_total": 3,
                                "integration_start": 4, "integration_end": 6}}
    assert segment_meta(None, None) == {}


def test_plan_segments():
    """10 integrations of 100 bytes, 50 fixed, limit 400: 350 of room holds 3 each."""
    assert plan_segments(10, 100, 50, 400) == [(1, 3), (4, 6), (7, 9), (10, 10)]
    assert plan_segments(10, 100, 0, 1000) == [(1, 10)]
    with pytest.raises(ValueError, match="does not fit"):
        plan_segments(10, 100, 350, 400)
