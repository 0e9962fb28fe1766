"""Tests of ramps.fits.cards: card images as astropy formats them, without importing astropy."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
from astropy.io import fits

from ramps.fits.cards import (END, card, card_image, caller_cards, header_bytes, image_cards,
                              parse_card)


@pytest.mark.parametrize("value", [0, -7, 2**31, 2**63, True, False, 1.5, -0.1, 1e-10, 3.0e30,
                                   123456789012345.0, 1 / 3, -2.5e-300, "", "A", "NRCA1",
                                   "it's", "x" * 60, "x" * 68, "x" * 69, "x" * 200])
@pytest.mark.parametrize("comment", ["", "a comment", "c" * 70])
def test_cards_match_astropy(value, comment):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = fits.Card("KEYWORD", value, comment).image
    assert card("KEYWORD", value, comment) == expected


@pytest.mark.parametrize("key", ["COMMENT", "HISTORY", ""])
@pytest.mark.parametrize("value", ["", "x", "a b  c ", "y" * 72, "z" * 73, "w" * 200, "it's",
                                   "tab\there", "caf\u00e9", 7])
def test_commentary_cards_match_astropy(key, value):
    """COMMENT/HISTORY/blank cards are formatted without astropy for printable
    ASCII text (72 characters a card, split like astropy); anything else still
    gets astropy's image or its refusal, as a ValueError naming the keyword."""
    try:
        expected = fits.Card(key, value).image
    except ValueError:
        with pytest.raises(ValueError, match=f"cannot write {key}="):
            card_image(key, value)
        return
    assert card_image(key, value) == expected
    assert len(expected) % 80 == 0


def test_first_write_does_not_import_astropy_fits(tmp_path):
    """A product with only plain cards (commentary ones included) is written
    without importing astropy.io.fits (~0.5 s in a fresh process), once the merged
    schema is cached (as after the first write on a machine): this process writes one
    first, filling the test run's own cache, which the fresh process shares."""
    import numpy as np

    import ramps

    ramps.write(tmp_path / "warm_rate.fits", "rate",
                {n: np.zeros((4, 5), np.uint32 if n == "DQ" else np.float32)
                 for n in ("SCI", "ERR", "DQ", "VAR_POISSON", "VAR_RNOISE")})
    code = (
        "import sys, numpy as np, ramps\n"
        f"ramps.write({str(tmp_path / 'x_rate.fits')!r}, 'rate', "
        "{n: np.zeros((4, 5), np.uint32 if n == 'DQ' else np.float32) "
        "for n in ('SCI', 'ERR', 'DQ', 'VAR_POISSON', 'VAR_RNOISE')}, "
        "header={'COMMENT': 'a comment card', 'HISTORY': 'h' * 100, 'TARGNAME': 'WASP-39'})\n"
        "print('astropy.io.fits' in sys.modules)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False", res.stderr
    with fits.open(tmp_path / "x_rate.fits") as hdul:
        assert hdul[0].header["COMMENT"][0] == "a comment card"
        assert "".join(hdul[0].header["HISTORY"]) == "h" * 100
        assert hdul[0].header["TARGNAME"] == "WASP-39"


def test_header_bytes_are_whole_blocks_ending_in_end():
    """Two cards + END = 240 characters, padded with spaces to one 2880-byte block;
    astropy parses the block back to the same cards."""
    raw = header_bytes([card("SIMPLE", True), card("NAXIS", 0)])
    assert len(raw) == 2880 and raw[160:240] == END.encode() and raw[240:] == b" " * 2640
    header = fits.Header.fromstring(raw.decode("ascii"))
    assert list(header.items()) == [("SIMPLE", True), ("NAXIS", 0)]


def test_image_cards_match_astropy():
    """The structural cards of a uint16 3-D IMAGE extension as astropy writes them
    (NAXIS1 is the last numpy axis; BZERO 32768 for uint16)."""
    hdu = fits.ImageHDU(data=__import__("numpy").zeros((2, 3, 4), "uint16"), name="SCI", ver=2)
    expected = [c.image for c in hdu.header.cards]
    assert image_cards(16, 32768, (2, 3, 4), "SCI", 2) == expected


def test_caller_cards_forms():
    """Mappings, (key, value[, comment]) iterables and astropy Headers give the same
    triples; keywords are upper-cased, a None commentary value becomes ''."""
    header = fits.Header([("TARGNAME", "X", "target"), ("HISTORY", "h")])
    assert caller_cards(header) == [("TARGNAME", "X", "target"), ("HISTORY", "h", "")]
    assert caller_cards({"targname": ("X", "target"), "COMMENT": None}) == [
        ("TARGNAME", "X", "target"), ("COMMENT", "", "")]
    assert caller_cards([("a", 1)]) == [("A", 1, "")]
    with pytest.raises(TypeError, match="keyword, value"):
        caller_cards([(1, 2)])


def test_parse_card_round_trip():
    assert parse_card(card("EXPTIME", 1.5, "seconds")) == (1.5, "seconds")
