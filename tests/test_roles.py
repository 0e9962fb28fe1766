"""ramps.products.roles.array_name: the name a product keeps a role's array under."""

import numpy as np

import ramps
from ramps.products.roles import array_name, is_asdf


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
