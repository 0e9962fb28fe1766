"""Products written before and after a move of the code are the same bytes.

``data/corpus_digests.json`` holds the digests of the corpus of ``corpus_products.py``
as the tree before issue 19's redesign wrote it.  Written again now, every file must
have the same bytes (write times masked) when the libraries that write their versions
into files are the recorded ones; under other versions of those libraries, the same
content as astropy / asdf read it (a new asdf may lay its tree out differently, which
is not a change of ours)."""

from __future__ import annotations

import json
from pathlib import Path

import corpus_products

RECORD = json.loads((Path(__file__).parent / "data" / "corpus_digests.json").read_text())


def test_corpus_is_written_as_before(tmp_path):
    now = corpus_products.digests(tmp_path)
    assert sorted(now) == sorted(RECORD["files"])
    key = "sha256" if corpus_products.versions() == RECORD["versions"] else "content"
    changed = [name for name, d in now.items() if d[key] != RECORD["files"][name][key]]
    assert changed == [], f"written differently ({key}): {changed}"


def test_the_comparison_sees_a_changed_byte(tmp_path):
    """The digest is of every byte but the masked stamps: one flipped data byte shows."""
    (path,) = [p for p in corpus_products.write_corpus(tmp_path) if p.name.endswith("_rate.fits")]
    before = corpus_products.masked_bytes(path)
    data = bytearray(path.read_bytes())
    data[-100] ^= 1
    path.write_bytes(bytes(data))
    assert corpus_products.masked_bytes(path) != before
