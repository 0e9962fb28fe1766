"""The optional extras: importing ramps imports neither data-model library, and a
missing one says which extra installs it."""

from __future__ import annotations

import subprocess
import sys

import pytest

import stdatamodels  # noqa: E402,F401  (a test extra: missing fails, never skips)


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)


def test_import_ramps_imports_no_model_library():
    r = _run("import sys, ramps, ramps.bridge, ramps.bridge.jwst_save, ramps.bridge.roman, "
             "ramps.bridge.roman_save\n"
             "ramps.open_model, ramps.save\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in "
             "('stdatamodels', 'roman_datamodels')))")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


def test_missing_stdatamodels_names_the_extra(tmp_path):
    r = _run("import sys\nsys.modules['stdatamodels'] = None\nimport ramps\n"
             "try:\n    ramps.open_model('x.fits')\n"
             "except ImportError as e:\n    print('ImportError:', e)\n")
    assert r.returncode == 0, r.stderr
    assert "ImportError:" in r.stdout and "pip install stdatamodels" in r.stdout and "[jwst]" in r.stdout


def test_missing_roman_datamodels_names_the_extra(tmp_path):
    path = tmp_path / "r.asdf"
    path.write_bytes(b"#ASDF 1.0.0\n")
    r = _run("import sys\nsys.modules['roman_datamodels'] = None\nimport ramps\n"
             f"try:\n    ramps.open_model({str(path)!r})\n"
             "except ImportError as e:\n    print('ImportError:', e)\n")
    assert r.returncode == 0, r.stderr
    assert "ImportError:" in r.stdout and "pip install roman_datamodels" in r.stdout and "[roman]" in r.stdout


def test_asdf_file_without_roman_node_is_refused(tmp_path):
    import ramps

    path = tmp_path / "r.asdf"
    path.write_bytes(b"#ASDF 1.0.0\n")
    with pytest.raises(ValueError, match="not a Roman file"):
        ramps.open_model(path)


def test_save_of_other_objects_names_both_libraries():
    import ramps

    with pytest.raises(TypeError, match="roman_datamodels"):
        ramps.save(object(), "x.asdf")
