"""ramps.sources.local: a file that shrinks while it is open.

Each case runs in a subprocess, so that a SIGBUS (the failure before: reading a
memory-mapped page past the new end of the file kills the process) shows as a
negative return code instead of killing the test run.  The file is opened, then
truncated to three blocks (the primary header and part of SCI's header), then
read: every access must raise TruncatedFileError naming the file.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ramps.errors import ClosedError, TruncatedFileError
from ramps.sources.local import MmapSource

_SCRIPT = textwrap.dedent("""
    import os, sys
    import numpy as np
    import ramps

    path, op = sys.argv[1], sys.argv[2]
    if op != "convert":
        p = ramps.open(path)
        os.truncate(path, 2880 * 3)
    try:
        if op == "read":
            p.read("SCI")
        elif op == "getitem":
            p["SCI"]
        elif op == "lazy":
            p.sci[1]
        elif op == "checksums":
            p.verify_checksums()
        elif op == "meta":
            p.meta
        elif op == "convert":
            from ramps.convert import cli, job
            real = job.uncal_to_ramp  # what the command's runner (run_job) calls
            def shrink_then_convert(*a, **kw):  # opened by the command, then truncated
                os.truncate(path, 2880 * 3)
                return real(*a, **kw)
            job.uncal_to_ramp = shrink_then_convert
            sys.exit(cli.convert_main([sys.argv[3], "-o", sys.argv[4], "-q"]))
    except ramps.TruncatedFileError as e:
        print("TruncatedFileError", e.path, e.extension, e.problem, sep="|")
        sys.exit(0)
    print("no error")
    sys.exit(3)
""")


@pytest.fixture(scope="module")
def uncal(tmp_path_factory):
    import ramps

    folder = tmp_path_factory.mktemp("shrink")
    sci = np.arange(2 * 3 * 64 * 64, dtype=np.uint16).reshape(2, 3, 64, 64)
    path = folder / "jw01234001001_01101_00001_nrcalong_uncal.fits"
    ramps.write(path, "uncal", {"SCI": sci}, meta={"meta": {"exposure": {"nints": 2}}},
                checksum=True)
    return path


def _run(tmp_path, uncal, op):
    path = tmp_path / uncal.name
    path.write_bytes(uncal.read_bytes())
    script = tmp_path / "shrink.py"
    script.write_text(_SCRIPT)
    args = [sys.executable, str(script), str(path), op]
    if op == "convert":  # the command opens the file, which shrinks before converting
        args += [str(path), str(tmp_path / "out")]
    return path, subprocess.run(args, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("op, extension", [("read", "SCI,1"), ("getitem", "SCI,1"),
                                           ("lazy", "SCI,1"), ("checksums", "SCI,1"),
                                           ("meta", "ASDF,1")])
def test_shrunk_file_raises_truncated_not_sigbus(tmp_path, uncal, op, extension):
    path, r = _run(tmp_path, uncal, op)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)  # negative: a signal
    name, path_seen, ext, problem = r.stdout.strip().split("|")
    assert name == "TruncatedFileError" and path_seen == str(path) and ext == extension
    assert "shrank to 8640 bytes while open" in problem


def test_shrunk_input_fails_the_conversion(tmp_path, uncal):
    """ramps.convert opens the input, which then shrinks: exit status 1 (not a signal),
    the input and the output named, no output and no temporary left."""
    path, r = _run(tmp_path, uncal, "convert")
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert str(path) in r.stderr and "_ramp.fits" in r.stderr and "shrank" in r.stderr
    assert not (tmp_path / "out").exists()  # the folder it made for the output: removed


def test_size_checked_in_process(tmp_path):
    """The check itself (no mapped byte touched): reads past the new end raise,
    reads before it still work, and a closed source raises ClosedError."""
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(256)) * 40)
    src = MmapSource(path)
    os.truncate(path, 2880)
    assert src.read(0, 4) == b"\0\1\2\3" and src.view(2876, 4).tolist() == [60, 61, 62, 63]
    with pytest.raises(TruncatedFileError, match="shrank to 2880 bytes") as info:
        src.view(2000, 1000)
    assert info.value.path == str(path)
    with pytest.raises(TruncatedFileError):
        src.read(2880, 1)
    src.close()
    with pytest.raises(ClosedError):
        src.read(0, 1)
