"""The corruption matrix: mutations of a FITS product, and the worker that runs them.

:func:`cases` lists the mutations of one product's bytes, by kind: truncation at
every 2880-byte boundary and at random offsets, flipped bytes in headers, in data
units and in the ASDF tree, absurd NAXISn/BITPIX/BZERO/PCOUNT/GCOUNT values, a
missing END card, duplicate EXTNAME/EXTVER.  :func:`mutate` applies one.

Run as a script (``python corruption.py CASES.json``) this module is the worker: in
a process with an address-space limit it writes each mutated file, puts it through
everything a user may do (``hostile.exercise``), compares each image read with
astropy's where astropy reads it, and prints one JSON line per case (``START``
lines first, so that the parent can tell which case a signal or a hang hit).
"""

from __future__ import annotations

import json
import os
import random
import sys
import traceback

import numpy as np

BLOCK = 2880


def _hdus(raw: bytes) -> list[dict]:
    """(header start, header end, data end) of each HDU, from the cards (no library)."""
    out, pos = [], 0
    while pos + BLOCK <= len(raw):
        end = None
        for i in range(pos, len(raw) - 79, 80):
            if raw[i:i + 8] == b"END     ":
                end = i
                break
        if end is None:
            break
        hdr_end = end + 80 + (-(end + 80 - pos) % BLOCK)
        cards = {raw[i:i + 8].strip().decode(): raw[i + 10:i + 80].split(b"/")[0].strip()
                 for i in range(pos, end, 80)}
        bitpix = abs(int(cards[b"BITPIX".decode()]))
        naxis = int(cards["NAXIS"])
        n = 1
        for k in range(1, naxis + 1):
            n *= int(cards[f"NAXIS{k}"])
        n = 0 if naxis == 0 else n
        size = bitpix // 8 * int(cards.get("GCOUNT", b"1")) * (int(cards.get("PCOUNT", b"0")) + n)
        cards_at = {raw[i:i + 8].strip().decode(): i for i in range(pos, end, 80)}
        out.append({"start": pos, "end": end, "data": hdr_end,
                    "stop": hdr_end + size + (-size % BLOCK), "size": size, "cards": cards_at,
                    "name": cards.get("EXTNAME", b"'PRIMARY'").strip(b"'").strip().decode()})
        pos = out[-1]["stop"]
    return out


ABSURD = {
    "NAXIS1": ["0", "-1", "2147483648", "4611686018427387904", "999999999999999999999", "'ab'"],
    "NAXIS2": ["0", "-7", "2000000000"],
    "NAXIS": ["0", "-1", "1000", "7"],
    "BITPIX": ["0", "7", "-16", "128", "'X'"],
    "BZERO": ["1E308", "NAN", "'x'", "-32768", "1E-300"],
    "BSCALE": ["0", "-1E308", "'s'"],
    "PCOUNT": ["-1", "1099511627776", "2880"],
    "GCOUNT": ["0", "2", "-1", "1099511627776"],
}


def cases(raw: bytes, product: str, seed: int) -> list[dict]:
    """Every mutation of ``raw`` (a product's bytes), each a dict with its ``kind``."""
    rng = random.Random(seed)
    hdus = _hdus(raw)
    out = []
    for at in range(0, len(raw), BLOCK):
        out.append({"kind": "truncate-block", "at": at})
    for _ in range(12):
        out.append({"kind": "truncate-random", "at": rng.randrange(1, len(raw))})
    for h in hdus:
        for _ in range(6):
            out.append({"kind": "flip-header", "at": rng.randrange(h["start"], h["end"] + 80),
                        "xor": rng.randrange(1, 256), "hdu": h["name"]})
        if h["size"] and h["name"] != "ASDF":
            for _ in range(3):
                out.append({"kind": "flip-data", "at": rng.randrange(h["data"], h["data"] + h["size"]),
                            "xor": rng.randrange(1, 256), "hdu": h["name"]})
        if h["name"] == "ASDF":
            for _ in range(25):
                out.append({"kind": "flip-asdf", "at": rng.randrange(h["data"], h["data"] + h["size"]),
                            "xor": rng.randrange(1, 256), "hdu": h["name"]})
        for key, values in ABSURD.items():
            if key in h["cards"]:
                for v in values:
                    out.append({"kind": f"absurd-{key}", "hdu": h["name"],
                                "edits": [[h["cards"][key], key, v]]})
        out.append({"kind": "no-end", "at": h["end"], "hdu": h["name"]})
    named = [h for h in hdus[1:] if "EXTNAME" in h["cards"]]
    for a, b in zip(named, named[1:]):  # each extension renamed as the one before it
        out.append({"kind": "duplicate-extname", "hdu": b["name"],
                    "edits": [[b["cards"]["EXTNAME"], "EXTNAME", f"'{a['name']}'"]]})
        if (b["end"] + 80) % BLOCK and "EXTVER" not in b["cards"]:
            # and EXTVER = 1 written out where the other has it implicit
            out.append({"kind": "duplicate-extver", "hdu": b["name"], "end_at": b["end"] + 80,
                        "edits": [[b["cards"]["EXTNAME"], "EXTNAME", f"'{a['name']}'"],
                                  [b["end"], "EXTVER", "1"]]})
    for k, c in enumerate(out):
        c["product"], c["name"] = product, f"{product}-{k:04d}-{c['kind']}"
    return out


def mutate(raw: bytes, case: dict) -> bytes:
    b = bytearray(raw)
    kind = case["kind"]
    if kind.startswith("truncate"):
        return bytes(b[:case["at"]])
    if kind.startswith("flip"):
        b[case["at"]] ^= case["xor"]
    elif kind == "no-end":
        b[case["at"]:case["at"] + 80] = b" " * 80
    else:  # cards rewritten (a new one over END, which then moves one card on)
        for at, key, value in case["edits"]:
            b[at:at + 80] = f"{key:<8}= {value:>20}".ljust(80).encode("ascii")
        if case.get("end_at") is not None:
            b[case["end_at"]:case["end_at"] + 80] = b"END".ljust(80)
    return bytes(b)


def _astropy(path: str, index: int):
    import warnings

    from astropy.io import fits

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with fits.open(path, memmap=False, lazy_load_hdus=True) as hdul:
                hdu = hdul[index]
                if not isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU)):
                    return None  # astropy does not read it as an image (a mangled XTENSION)
                data = hdu.data
                return None if data is None else np.array(data)
    except Exception:  # astropy cannot read it: nothing to compare with
        return None


def run_case(raw: bytes, case: dict, path: str) -> dict:
    from hostile import exercise

    with open(path, "wb") as f:
        f.write(mutate(raw, case))
    result = {"name": case["name"], "kind": case["kind"], "product": case["product"]}
    try:
        ops, images = exercise(path)
    except BaseException as e:  # noqa: BLE001 - an untyped error is the finding
        result["untyped"] = "".join(traceback.format_exception(type(e), e, e.__traceback__)[-3:])
        return result
    result["errors"] = sorted({v for v in ops.values() if v != "ok"})
    result["read"] = len(images)
    mismatches = []
    for index, ours in images.items():
        theirs = _astropy(path, index)
        if theirs is None or ours is None:
            continue
        result["compared"] = result.get("compared", 0) + 1
        if ours.shape != theirs.shape or not np.array_equal(
                ours.astype(np.float64), theirs.astype(np.float64), equal_nan=True):
            mismatches.append(f"HDU {index}: ramps {ours.dtype}{ours.shape}, astropy "
                              f"{theirs.dtype}{theirs.shape}")
    if mismatches:
        result["mismatch"] = mismatches
    return result


def main(spec_path: str) -> None:
    import resource

    spec = json.loads(open(spec_path).read())
    limit = spec["address_space"]
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sources = {name: open(p, "rb").read() for name, p in spec["products"].items()}
    path = os.path.join(spec["folder"], f"case-{os.getpid()}.fits")
    for case in spec["cases"]:
        print("START", case["name"], flush=True)
        print(json.dumps(run_case(sources[case["product"]], case, path)), flush=True)
    print("ALL DONE", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main(sys.argv[1])
