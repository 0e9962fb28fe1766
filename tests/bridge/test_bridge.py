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
    r = _run("import sys, ramps, ramps.bridge, ramps.bridge.jwst_save\n"
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
    assert "ImportError:" in r.stdout and "ramps[jwst]" in r.stdout


def test_asdf_files_are_not_supported_yet(tmp_path):
    import ramps

    path = tmp_path / "r.asdf"
    path.write_bytes(b"#ASDF 1.0.0\n")
    with pytest.raises(NotImplementedError, match="Roman"):
        ramps.open_model(path)
