"""ramps.convert --scheduler: outputs written by tasks on a dask.distributed LocalCluster
(2 worker processes of 1 thread, shared by the session: conftest.py) are the bytes the
serial command writes; failures come back as the serial run reports them; a worker killed
mid-file leaves nothing behind and the file is reported failed (after one retry), exit
status 1.  Both sides write at one fixed clock (conftest.py), so whole files compare."""

from __future__ import annotations

import os
import signal
import sys

import numpy as np
import pytest
from astropy.io import fits

import ramps
from ramps.convert import cli

import cloudpickle as cloudpickle
from distributed.diagnostics.plugin import WorkerPlugin  # noqa: E402

from ramps.convert import distributed as distributed_convert  # noqa: E402
from test_cli import NAME, counts, write_uncal  # noqa: E402


class KillMidFile(WorkerPlugin):
    """SIGKILL the worker converting an input whose name holds ``marker``, once the first
    chunk of its SCI has gone to the writer (a partial temp file exists then: its names
    are written to ``witness`` before dying)."""

    def __init__(self, marker, out_dir, witness):
        self.marker, self.out_dir, self.witness = marker, str(out_dir), str(witness)

    def setup(self, worker):
        import ramps.ops.ramp as conv

        self.original = original = conv._sci_stream
        marker, out_dir, witness = self.marker, self.out_dir, self.witness

        def sci_stream(exposure, *a, **kw):
            stream = original(exposure, *a, **kw)
            if marker not in str(exposure.paths[0]):
                return stream

            def chunks():
                for c in stream.chunks():
                    yield c
                    named = [n for n in os.listdir(out_dir) if n.endswith(".part")]
                    unnamed = []  # an O_TMPFILE temporary: open, in out_dir, no name
                    for fd in os.listdir("/proc/self/fd"):
                        try:
                            link = os.readlink(f"/proc/self/fd/{fd}")
                        except OSError:
                            continue
                        if link.startswith(out_dir + "/#") or (
                                link.startswith(out_dir) and link.endswith("(deleted)")):
                            unnamed.append(link)
                    with open(witness, "a") as f:
                        f.write(" ".join(named + unnamed) + "\n")
                    os.kill(os.getpid(), signal.SIGKILL)

            return type(stream)(stream.shape, stream.dtype, chunks)

        conv._sci_stream = sci_stream

    def teardown(self, worker):
        import ramps.ops.ramp as conv

        conv._sci_stream = self.original


@pytest.fixture(scope="module", autouse=True)
def _plugins_by_value():
    """The workers cannot import this module: its plugins (KillMidFile) go by value."""
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def convert(capsys, *args):
    rc = cli.convert_main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def _lines(text, *dirs):
    """Summary lines without timings and with the output folders named alike."""
    out = []
    for line in text.splitlines():
        for d in dirs:
            line = line.replace(str(d), "OUT")
        out.append(line.split("  ")[0])
    return sorted(out)


def _inputs(folder):
    """Three files: an exposure in two segments and a file of its own."""
    folder.mkdir()
    data = counts(5, seed=1)
    for k, (s, n) in enumerate([(1, 3), (4, 2)], 1):
        write_uncal(folder / NAME.format(seg=f"-seg{k:03d}", kind="uncal"), data[s - 1:s - 1 + n],
                    seg=(k, 2, s), nints_total=5)
    write_uncal(folder / "jw02734002002_04101_00001_nrcalong_uncal.fits", counts(2, seed=2))
    return sorted(folder.iterdir())


def test_outputs_equal_the_serial_command(tmp_path, cluster, capsys, serial_clock):
    address, _ = cluster
    inputs = _inputs(tmp_path / "in")
    a, b = tmp_path / "serial", tmp_path / "cluster"
    a.mkdir(), b.mkdir()
    rc_a, out_a, err_a = convert(capsys, *inputs, "-o", a)
    rc_b, out_b, err_b = convert(capsys, *inputs, "-o", b, "--scheduler", address)
    assert (rc_a, err_a) == (0, "") and (rc_b, err_b) == (0, ""), err_b
    names = sorted(p.name for p in a.iterdir())
    assert len(names) == 3 and sorted(p.name for p in b.iterdir()) == names
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n
    assert _lines(out_a, a) == _lines(out_b, b) and len(out_b.splitlines()) == 3
    # merged: the two segments make one output, one task
    m = tmp_path / "merged"
    m.mkdir()
    rc, out, err = convert(capsys, *inputs[:2], "-o", m, "--merge", "--scheduler", address)
    assert rc == 0 and len(out.splitlines()) == 1
    with ramps.open(next(m.iterdir())) as p:
        np.testing.assert_array_equal(p.read("SCI"), counts(5, seed=1).astype(np.float32))


def test_recompute_err_on_the_cluster(tmp_path, cluster, capsys, serial_clock):
    """--recompute-err: one task per product; the same file as the serial command."""
    address, _ = cluster
    rng = np.random.default_rng(3)
    vs = [rng.random((2, 8, 8), dtype=np.float32) for _ in range(2)]
    src = tmp_path / NAME.format(seg="", kind="rateints")
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(np.zeros((2, 8, 8), np.float32), name="SCI"),
                  fits.ImageHDU(np.zeros((2, 8, 8), np.float32), name="ERR"),
                  fits.ImageHDU(np.zeros((2, 8, 8), np.uint32), name="DQ"),
                  fits.ImageHDU(vs[0], name="VAR_POISSON"),
                  fits.ImageHDU(vs[1], name="VAR_RNOISE")]).writeto(src)
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    assert convert(capsys, src, "--recompute-err", "-o", a)[0] == 0
    rc, out, err = convert(capsys, src, "--recompute-err", "-o", b, "--scheduler", address)
    assert rc == 0 and f"-> {b / src.name}" in out, err
    assert (a / src.name).read_bytes() == (b / src.name).read_bytes()
    with fits.open(b / src.name) as h:
        np.testing.assert_array_equal(h["ERR"].data, np.sqrt(vs[0] + vs[1]))


def test_failures_reported_as_the_serial_run(tmp_path, cluster, capsys):
    """A file that fails in its task (SCI not 4-D) and one refused while planning (the output
    exists): the same messages on stderr as the serial run, exit 1; the good file is written."""
    address, _ = cluster
    folder = tmp_path / "in"
    folder.mkdir()
    good = write_uncal(folder / "jw02734002001_04101_00001_nrcalong_uncal.fits", counts(1))
    bad = folder / "jw02734002002_04101_00001_nrcalong_uncal.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(counts(1)[0], name="SCI")]).writeto(bad)
    taken = write_uncal(folder / "jw02734002003_04101_00001_nrcalong_uncal.fits", counts(1))
    results = []
    for name, extra in (("serial", ()), ("cluster", ("--scheduler", address))):
        out_dir = tmp_path / name
        out_dir.mkdir()
        (out_dir / cli_ramp_name(taken)).write_bytes(b"keep")
        rc, out, err = convert(capsys, good, bad, taken, "-o", out_dir, *extra)
        assert rc == 1
        assert (out_dir / cli_ramp_name(good)).exists()
        assert not (out_dir / cli_ramp_name(bad)).exists()
        assert (out_dir / cli_ramp_name(taken)).read_bytes() == b"keep"
        assert not [p for p in os.listdir(out_dir) if p.endswith(".part")]
        results.append((_lines(out, out_dir), _lines(err, out_dir)))
    assert results[0] == results[1]
    assert any("expected 4-D" in e for e in results[1][1]) and len(results[1][1]) == 2


def cli_ramp_name(path):
    from ramps.ops.ramp import ramp_name

    return ramp_name(path)


def test_worker_killed_mid_file(tmp_path, cluster, capsys):
    """The poisoned file kills its worker after its first SCI chunk, and again when retried:
    reported failed, exit 1, no output and no temp file left; the others are converted."""
    address, client = cluster
    inputs = _inputs(tmp_path / "in")
    poison = inputs[-1]  # jw02734002002...: a file of its own
    inputs = inputs[-1:] + inputs[:-1]  # planned first: it dies beside a running file
    out_dir, witness = tmp_path / "out", tmp_path / "witness.txt"
    out_dir.mkdir()
    client.register_plugin(KillMidFile("jw02734002002", out_dir, witness), name="ramps-test-kill")
    try:
        rc, out, err = convert(capsys, *inputs, "-o", out_dir, "--scheduler", address)
    finally:
        client.unregister_worker_plugin("ramps-test-kill")
    assert rc == 1
    target = out_dir / cli_ramp_name(poison)
    assert f"{target}: the worker died while writing it (2 tries" in err
    assert str(poison) in err and len(err.strip().splitlines()) == 1
    assert not target.exists()
    deaths = witness.read_text().splitlines()
    # it was partial: a named temporary of the target, or an unnamed (O_TMPFILE) one
    assert len(deaths) == 2 and all(f".{target.name}." in d or "#" in d or "(deleted)" in d
                                    for d in deaths), deaths
    assert sorted(os.listdir(out_dir)) == sorted(cli_ramp_name(p) for p in inputs[1:])
    assert len(out.splitlines()) == 2


def test_scheduler_option(tmp_path, capsys):
    """local:N is checked while parsing (exit 2); --dry-run plans without a cluster."""
    src = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), counts(1))
    for bad in ("local:0", "local:x", ""):
        rc, _, err = convert(capsys, src, "--scheduler", bad)
        assert rc == 2 and "--scheduler" in err
    assert distributed_convert.parse_scheduler("local:3") == "local:3"
    assert distributed_convert.parse_scheduler("tcp://10.0.0.1:8786") == "tcp://10.0.0.1:8786"
    rc, out, _ = convert(capsys, src, "--scheduler", "local:2", "--dry-run")
    assert rc == 0 and "dry run" in out and not list(tmp_path.glob("*_ramp.fits"))


def test_relative_paths_and_no_scheduler(tmp_path, cluster, capsys, monkeypatch):
    """Relative inputs and -o are sent as absolute paths (a worker's folder may be another)
    and printed as given; a scheduler nobody listens at is an error naming it, exit 1."""
    import dask

    address, _ = cluster
    monkeypatch.chdir(tmp_path)
    write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), counts(1))
    (tmp_path / "o").mkdir()
    rc, out, err = convert(capsys, NAME.format(seg="", kind="uncal"), "-o", "o",
                           "--scheduler", address)
    assert (rc, err) == (0, "")
    assert out.startswith(f"{NAME.format(seg='', kind='uncal')} -> o/")
    assert (tmp_path / "o" / NAME.format(seg="", kind="ramp")).exists()
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        rc, out, err = convert(capsys, NAME.format(seg="", kind="uncal"), "-o", "o",
                               "--overwrite", "--scheduler", "tcp://127.0.0.1:9")
    assert rc == 1 and "cannot reach the dask scheduler tcp://127.0.0.1:9" in err


def test_local_cluster_from_the_command_line(tmp_path, capsys):
    """`--scheduler local:1` starts (and stops) a cluster of its own: the output holds the
    arrays the serial route writes (its clock is not fixed: bytes are compared above)."""
    src = write_uncal(tmp_path / NAME.format(seg="", kind="uncal"), counts(2, seed=5))
    rc, out, err = convert(capsys, src, "--scheduler", "local:1")
    assert (rc, err) == (0, "")
    target = tmp_path / NAME.format(seg="", kind="ramp")
    assert f"-> {target}" in out
    with ramps.open(target) as p:
        assert p.validate().errors == []
        np.testing.assert_array_equal(p.read("SCI"), counts(2, seed=5).astype(np.float32))
