"""Problem, Problems and ValidationError (ramps.specs.problems): what validation hands back."""

from __future__ import annotations

import pickle

import pytest

from ramps.errors import FormatError
from ramps.specs.problems import Problem, Problems, ValidationError


def test_problem_str_is_the_message_callers_printed_before():
    """str() keeps the old "{path}[{ext}]: {text}" form; no extension, no brackets."""
    p = Problem("error", "x_rate.fits", "DQ,1", "dtype float32, expected uint32")
    assert str(p) == "x_rate.fits[DQ,1]: dtype float32, expected uint32"
    assert str(Problem("note", "x.fits", None, "text")) == "x.fits: text"
    assert p.is_error and not Problem("note", "x.fits", None, "t").is_error
    with pytest.raises(AttributeError):
        p.severity = "note"  # frozen


def test_problems_split_by_severity_and_strict_error_keeps_them_all():
    items = Problems([Problem("error", "f", "A,1", "bad a"), Problem("error", "f", "B,1", "bad b"),
                      Problem("note", "f", "C", "absent")])
    assert [p.extension for p in items.errors] == ["A,1", "B,1"]
    assert [p.extension for p in items.notes] == ["C"]
    e = ValidationError.from_problems(items)
    assert isinstance(e, FormatError) and isinstance(e, ValueError)
    assert (e.path, e.extension) == ("f", "A,1")
    assert str(e).startswith("f[A,1]: bad a (and 1 more error: f[B,1]: bad b)")
    assert e.problems == items
    again = pickle.loads(pickle.dumps(e))
    assert str(again) == str(e) and again.problems == items
