"""One integration of the TSO uncal over HTTP range requests, from a loopback server.

ramps (``ramps.open(url).sci[k]``: the index from one header read, then the
integration's byte range in one request) against astropy's remote route
(``fits.open(url, use_fsspec=True)`` + ``.section[k]``, which fetches fsspec's
5 MB blocks).  Requests and bytes are counted by the server, so they are exact
and do not depend on the machine; times are medians of warm in-process rounds
(new connection each round).  The loopback S3 server of the tests (moto) gives the
same request counts; HTTP is timed here because it adds the least server overhead.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pytest
from _ramps_bench import TsoRow, _record, tso_group

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from servers import RangeServer  # noqa: E402

K = 2
GROUP = tso_group(f"one integration (k={K}) of the uncal over HTTP (loopback)",
                  "float32 output bytes",
                  note="requests/bytes counted by the server; ramps: open(url).sci[k]; "
                       "astropy: fits.open(url, use_fsspec=True)['SCI'].section[k]", order=3)


def _ramps(url):
    import ramps

    with ramps.open(url) as p:
        return p.sci[K]


def _astropy(url):
    from astropy.io import fits

    with fits.open(url, use_fsspec=True, lazy_load_hdus=True) as h:
        return h["SCI"].section[K].astype(np.float32)


@pytest.fixture(scope="module")
def served(tso):
    server = RangeServer(os.path.dirname(str(tso.uncal)))
    yield server, server.url(os.path.basename(str(tso.uncal)))
    server.close()


@pytest.mark.parametrize("name,role,fn", [
    ("ramps open(url).sci[k]", "ramps", _ramps),
    ("astropy use_fsspec + .section[k]", "astropy", _astropy),
])
def test_remote_integration(benchmark, served, name, role, fn):
    server, url = served
    row = TsoRow(GROUP, "warm", name, role, fn.__name__, 0)
    first = fn(url)
    row.nbytes = first.nbytes
    row.digest = {"sum": float(first.sum(dtype=np.float64)), "shapes": [list(first.shape)]}

    def one_round(i):
        server.log.clear()
        t = time.perf_counter()
        fn(url)
        dt = time.perf_counter() - t
        return {"work_s": dt, "import_s": None, "peak_rss": None,
                "requests": len(server.log.requests), "bytes_fetched": server.log.bytes_sent()}

    _record(benchmark, GROUP, "warm", name, one_round, 3, row)
    benchmark.extra_info.update(requests=row.rounds[-1]["requests"],
                                bytes_fetched=row.rounds[-1]["bytes_fetched"],
                                integration_bytes=first.nbytes // 2)
    print(f"\n{name}: {row.rounds[-1]['requests']} requests, "
          f"{row.rounds[-1]['bytes_fetched'] / 1e6:.2f} MB fetched for a "
          f"{first.nbytes / 2e6:.2f} MB integration, median {row.median:.3f} s")
