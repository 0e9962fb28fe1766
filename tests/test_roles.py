"""ramps.products.roles: the name a product keeps a role's array under, by format."""

import numpy as np
import pytest

import ramps
from ramps.errors import FormatError
from ramps.products.roles import (
    NAMES,
    ROLES,
    VARIANCES,
    array_name,
    is_asdf,
    role_name,
    variance_names,
)


def test_fits_names_are_the_roles_asdf_names_lower_case(tmp_path):
    """A FITS rate has VAR_POISSON as an extension; the same role in an ASDF file is
    var_poisson, and SCI is the tree's ``data``; roles absent give None."""
    z = np.zeros((4, 5), np.float32)
    fits_path = ramps.write(tmp_path / "x_rate.fits", "rate", {
        "SCI": z, "ERR": z, "DQ": np.zeros((4, 5), np.uint32), "VAR_POISSON": z,
        "VAR_RNOISE": z}, meta={"meta": {"instrument": {"name": "NIRCAM"}}})
    asdf_path = ramps.write(tmp_path / "x.asdf", "generic",
                            {"data": z, "var_poisson": z, "groupdq": np.zeros(3, np.uint8)})
    with ramps.open(fits_path) as p, ramps.open(asdf_path) as q:
        assert not is_asdf(p) and is_asdf(q)
        assert array_name(p, "var_poisson") == "VAR_POISSON"
        assert array_name(p, "SCI") == "SCI"
        assert array_name(p, "VAR_FLAT") is None
        assert array_name(q, "VAR_POISSON") == "var_poisson"
        assert array_name(q, "SCI") == "data"
        assert array_name(q, "GROUPDQ") == "groupdq"
        assert array_name(q, "ERR") is None


def test_one_table_per_format():
    """Every role has a name in each format's table: the role itself in FITS, the tree name
    in a Roman file; a role outside the table is refused, not guessed."""
    assert set(NAMES["fits"]) == set(NAMES["asdf"]) == set(ROLES)
    assert all(NAMES["fits"][r] == r for r in ROLES)
    assert [NAMES["asdf"][r] for r in VARIANCES] == ["var_poisson", "var_rnoise", "var_flat"]

    class Fits:
        format = "fits"

    with pytest.raises(ValueError, match="unknown role 'AREA'"):
        role_name(Fits(), "AREA")
    assert role_name(Fits(), "var_flat") == "VAR_FLAT"


def test_variance_names_by_format(tmp_path):
    z = np.zeros((4, 5), np.float32)
    asdf_path = ramps.write(tmp_path / "x.asdf", "generic",
                            {"data": z, "var_poisson": z, "var_flat": z})
    one = ramps.write(tmp_path / "y.asdf", "generic", {"data": z, "var_rnoise": z})
    odd = ramps.write(tmp_path / "z.asdf", "generic",
                      {"var_poisson": z, "var_rnoise": np.zeros((2, 5), np.float32)})
    with ramps.open(asdf_path) as q:
        assert variance_names(q) == ["var_poisson", "var_flat"]
    with ramps.open(one) as q, pytest.raises(FormatError, match=(
            r"y\.asdf: ERR needs at least two of var_poisson, var_rnoise, var_flat; "
            r"found var_rnoise")):
        variance_names(q)
    with ramps.open(odd) as q, pytest.raises(FormatError, match=(
            r"z\.asdf: variance arrays differ in shape: var_poisson \(4, 5\), "
            r"var_rnoise \(2, 5\)")):
        variance_names(q)
