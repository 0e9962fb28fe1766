"""Tests for ramps.naming.associations."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from ramps.naming.associations import (AsnMember, AssociationError, MissingMembersError,
    from_dict, load)

SCI1 = "jw01523010001_02101_00001_mirimage_cal.fits"
SCI2 = "jw01523010001_02101_00002_mirimage_cal.fits"
BKG = "jw01523011001_02101_00001_mirimage_cal.fits"


def _asn(*products: dict[str, Any], **meta: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"asn_type": "image3", "asn_id": "o010", "asn_pool": "jw01523_20230101t000000_pool"}
    data.update(meta)
    data["products"] = list(products)
    return data


def _product(*members: tuple[str, str], name: str | None = "jw01523-o010_t010_miri_f1800w") -> dict[str, Any]:
    prod: dict[str, Any] = {"members": [{"expname": e, "exptype": t, "exposerr": None} for e, t in members]}
    if name is not None:
        prod["name"] = name
    return prod


def _write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data, indent=2))
    return path


def _touch(*paths: Path) -> None:
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"")


def test_load_fields(tmp_path: Path) -> None:
    asn_path = _write(tmp_path / "jw01523-o010_20230101t000000_image3_001_asn.json",
                      _asn(_product((SCI1, "science"), (SCI2, "science"), (BKG, "background")),
                           asn_rule="Asn_Lv3Image", version_id=None))
    asn = load(asn_path)
    assert (asn.asn_type, asn.asn_id, asn.asn_pool) == ("image3", "o010", "jw01523_20230101t000000_pool")
    assert asn.path == asn_path
    assert len(asn.products) == 1
    product = asn.products[0]
    assert product.name == "jw01523-o010_t010_miri_f1800w"
    assert [m.expname for m in product.members] == [SCI1, SCI2, BKG]
    assert [m.exptype for m in product.members] == ["science", "science", "background"]
    assert [m.expname for m in product.science_members()] == [SCI1, SCI2]
    assert [m.expname for m in asn.science_members()] == [SCI1, SCI2]
    with pytest.raises(dataclasses.FrozenInstanceError):
        asn.asn_id = "x"  # type: ignore[misc]


def test_load_accepts_str_path(tmp_path: Path) -> None:
    asn_path = _write(tmp_path / "a_asn.json", _asn(_product((SCI1, "science"))))
    assert load(str(asn_path)) == load(asn_path)


def test_member_paths_resolved_against_asn_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absolute = tmp_path / "elsewhere" / SCI2
    asn_path = _write(tmp_path / "asn" / "a_asn.json", _asn(_product(
        (SCI1, "science"), (f"../raw/{BKG}", "background"), (str(absolute), "science"))))
    monkeypatch.chdir(tmp_path)  # resolution must not depend on the working directory
    asn = load(Path("asn") / "a_asn.json")
    paths = [m.path for m in asn.members]
    assert paths[0] == tmp_path / "asn" / SCI1
    assert paths[1] == tmp_path / "asn" / ".." / "raw" / BKG
    assert paths[2] == absolute
    assert all(p.is_absolute() for p in paths)
    _touch(tmp_path / "asn" / SCI1, tmp_path / "raw" / BKG, absolute)
    assert asn.missing() == ()
    assert asn_path.exists()


def test_missing_member_reported_by_name(tmp_path: Path) -> None:
    asn_path = _write(tmp_path / "a_asn.json", _asn(_product((SCI1, "science"), (SCI2, "science"),
                                                              (BKG, "background"))))
    _touch(tmp_path / SCI1)
    asn = load(asn_path)
    assert [m.expname for m in asn.missing()] == [SCI2, BKG]
    assert [m.expname for m in asn.check(raise_on_missing=False)] == [SCI2, BKG]
    with pytest.raises(MissingMembersError) as info:
        asn.check()
    message = str(info.value)
    assert SCI2 in message and BKG in message and SCI1 not in message
    assert "2 member file(s) missing" in message
    assert str(asn_path) in message
    assert [m.expname for m in info.value.missing] == [SCI2, BKG]
    assert isinstance(info.value, AssociationError)
    assert isinstance(info.value, ValueError)


def test_check_passes_when_all_present(tmp_path: Path) -> None:
    asn_path = _write(tmp_path / "a_asn.json", _asn(_product((SCI1, "science"))))
    _touch(tmp_path / SCI1)
    assert load(asn_path).check() == ()


def test_directory_is_not_a_member_file(tmp_path: Path) -> None:
    asn_path = _write(tmp_path / "a_asn.json", _asn(_product((SCI1, "science"))))
    (tmp_path / SCI1).mkdir()
    assert [m.expname for m in load(asn_path).missing()] == [SCI1]


def test_shared_members_listed_once(tmp_path: Path) -> None:
    # Stage 2 style: one product per exposure, background shared by both.
    asn_path = _write(tmp_path / "a_asn.json", _asn(
        _product((SCI1, "science"), (BKG, "background"), name="jw01523010001_02101_00001_mirimage"),
        _product((SCI2, "SCIENCE"), (BKG, "background"), name="jw01523010001_02101_00002_mirimage"),
        asn_type="spec2"))
    asn = load(asn_path)
    assert len(asn.members) == 4
    assert [m.expname for m in asn.missing()] == [SCI1, BKG, SCI2]
    assert [m.expname for m in asn.science_members()] == [SCI1, SCI2]  # exptype is case-insensitive


def test_optional_keys(tmp_path: Path) -> None:
    data = _asn(_product((SCI1, "science"), name=None))
    del data["asn_type"]
    asn = load(_write(tmp_path / "a_asn.json", data))
    assert asn.asn_type is None
    assert asn.products[0].name is None
    data["asn_type"] = None
    data["products"][0]["name"] = None
    asn = load(_write(tmp_path / "b_asn.json", data))
    assert (asn.asn_type, asn.products[0].name) == (None, None)


def test_empty_products_and_members(tmp_path: Path) -> None:
    asn = load(_write(tmp_path / "a_asn.json", _asn(_product())))
    assert asn.members == () and asn.missing() == () and asn.check() == ()


def test_from_dict_uses_path_for_resolution_and_errors(tmp_path: Path) -> None:
    asn = from_dict(_asn(_product((SCI1, "science"))), tmp_path / "virtual_asn.json")
    assert asn.members[0] == AsnMember(SCI1, "science", tmp_path / SCI1)
    with pytest.raises(AssociationError, match="virtual_asn.json"):
        from_dict([], tmp_path / "virtual_asn.json")


_GOOD = _asn(_product((SCI1, "science")))


def _without(*keys: str | int) -> dict[str, Any]:
    data = json.loads(json.dumps(_GOOD))
    target = data
    for k in keys[:-1]:
        target = target[k]
    del target[keys[-1]]
    return data


def _with(value: Any, *keys: str | int) -> dict[str, Any]:
    data = json.loads(json.dumps(_GOOD))
    target = data
    for k in keys[:-1]:
        target = target[k]
    target[keys[-1]] = value
    return data


MALFORMED: dict[str, tuple[Any, str]] = {
    "invalid json": ('{"asn_id": "o010",', "invalid JSON"),
    "empty file": ("", "invalid JSON"),
    "trailing garbage": (json.dumps(_GOOD) + "]", "invalid JSON"),
    "top-level list": ([_GOOD], "top level must be a JSON object, got list"),
    "top-level string": ('"hello"', "top level must be a JSON object, got str"),
    "no asn_id": (_without("asn_id"), "required key 'asn_id' is missing"),
    "null asn_id": (_with(None, "asn_id"), "required key 'asn_id' is null"),
    "numeric asn_id": (_with(10, "asn_id"), "'asn_id' must be a string, got int"),
    "empty asn_id": (_with(" ", "asn_id"), "'asn_id' must not be empty"),
    "no asn_pool": (_without("asn_pool"), "required key 'asn_pool' is missing"),
    "list asn_type": (_with(["image3"], "asn_type"), "'asn_type' must be a string, got list"),
    "no products": (_without("products"), "required key 'products' is missing"),
    "products object": (_with({"name": "x"}, "products"), "'products' must be a list, got dict"),
    "product not object": (_with(["x"], "products"), "'products[0]' must be an object, got str"),
    "no members": (_without("products", 0, "members"), "required key 'products[0].members' is missing"),
    "members string": (_with("a.fits", "products", 0, "members"),
                       "'products[0].members' must be a list, got str"),
    "name number": (_with(3, "products", 0, "name"), "'products[0].name' must be a string, got int"),
    "member not object": (_with([SCI1], "products", 0, "members"),
                          "'products[0].members[0]' must be an object, got str"),
    "no expname": (_without("products", 0, "members", 0, "expname"),
                   "required key 'products[0].members[0].expname' is missing"),
    "expname number": (_with(7, "products", 0, "members", 0, "expname"),
                       "'products[0].members[0].expname' must be a string, got int"),
    "empty expname": (_with("", "products", 0, "members", 0, "expname"),
                      "'products[0].members[0].expname' must not be empty"),
    "no exptype": (_without("products", 0, "members", 0, "exptype"),
                   "required key 'products[0].members[0].exptype' is missing"),
    "exptype bool": (_with(True, "products", 0, "members", 0, "exptype"),
                     "'products[0].members[0].exptype' must be a string, got bool"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_association(tmp_path: Path, case: str) -> None:
    content, expected = MALFORMED[case]
    asn_path = _write(tmp_path / "bad_asn.json", content)
    with pytest.raises(AssociationError) as info:
        load(asn_path)
    message = str(info.value)
    assert str(asn_path) in message
    assert expected in message
    assert info.value.path == asn_path
    assert not isinstance(info.value, MissingMembersError)


def test_second_member_error_points_at_it(tmp_path: Path) -> None:
    data = _asn(_product((SCI1, "science")), _product((SCI2, "science")))
    data["products"][1]["members"].append({"expname": BKG})
    with pytest.raises(AssociationError, match=r"'products\[1\]\.members\[1\]\.exptype' is missing"):
        load(_write(tmp_path / "a_asn.json", data))


def test_non_utf8_file(tmp_path: Path) -> None:
    asn_path = tmp_path / "bad_asn.json"
    asn_path.write_bytes(b'{"asn_id": "\xff\xfe\xfd"}')
    with pytest.raises(AssociationError, match="bad_asn.json"):
        load(asn_path)


def test_unreadable_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope_asn.json")


# --------------------------------------------------------------------------- at a URL
def test_association_at_a_url_resolves_members_against_its_folder(tmp_path):
    """An association served over HTTP: members become URLs in the association's folder
    (relative folders and ``..`` resolved as for a path), a member that is a URL stays
    it, and exists() asks the server."""
    from servers import RangeServer

    from ramps.sources import RemotePath

    (tmp_path / "obs").mkdir()
    (tmp_path / "obs" / SCI1).write_bytes(b"x" * 2880)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / SCI2).write_bytes(b"x" * 2880)
    server = RangeServer(tmp_path)
    try:
        elsewhere = server.url("other/" + SCI2)
        _write(tmp_path / "obs" / "x_asn.json", _asn(_product(
            (SCI1, "science"), ("../other/" + SCI2, "science"), (elsewhere, "science"),
            ("sub/" + BKG, "background"))))
        asn = load(server.url("obs/x_asn.json"))
        assert asn.path == server.url("obs/x_asn.json")
        paths = [m.path for m in asn.members]
        assert all(isinstance(p, RemotePath) for p in paths)
        assert paths == [server.url("obs/" + SCI1), server.url("other/" + SCI2), elsewhere,
                         server.url("obs/sub/" + BKG)]
        assert [m.exists() for m in asn.members] == [True, True, True, False]
        assert [m.expname for m in asn.missing()] == ["sub/" + BKG]
        assert len(asn.science_members()) == 2  # ../other/SCI2 and its URL are one file
        with pytest.raises(FileNotFoundError, match="nothing_asn.json"):
            load(server.url("obs/nothing_asn.json"))
    finally:
        server.close()


def test_association_on_s3_members_open_as_products(tmp_path):
    """On S3 (moto on loopback) with storage_options: the members open with ramps.open
    and read as astropy reads the local file."""
    import numpy as np
    from astropy.io import fits
    from servers import S3Server

    import ramps

    data = np.arange(6 * 8, dtype=np.float32).reshape(6, 8)
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data, name="SCI")]).writeto(tmp_path / SCI1)
    _write(tmp_path / "x_asn.json", _asn(_product((SCI1, "science"))))
    server = S3Server()
    try:
        server.put(tmp_path / SCI1, f"obs/{SCI1}")
        url = server.put(tmp_path / "x_asn.json", "obs/x_asn.json")
        asn = load(url, storage_options=server.storage_options)
        (member,) = asn.science_members()
        assert member.path == f"s3://{server.bucket}/obs/{SCI1}" and member.exists()
        with ramps.open(member.path, storage_options=server.storage_options) as p:
            np.testing.assert_array_equal(p.read("SCI"), data)
    finally:
        server.close()
