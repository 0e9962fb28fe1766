"""Fresh-process routes of the data-model benchmarks (test_models_bench.py), registered
in ``_tso_cases.CASES`` so that ``_fresh.py`` runs them.  Standard library only at load."""

from __future__ import annotations

from _tso_cases import RAMPS, STDATAMODELS, _quiet, _rm, case

MODELS = RAMPS + ("astropy.io.fits", "stdatamodels.jwst.datamodels")


@case("model_open_ramps", imports=MODELS)
def _open_ramps(a, prep):
    """ramps.open_model(uncal, 'RampModel'): the model's float32 SCI."""
    import ramps

    _quiet()
    return ramps.open_model(a["uncal"], "RampModel").data


@case("model_open_stdatamodels", imports=STDATAMODELS)
def _open_stdm(a, prep):
    """datamodels.RampModel(uncal)."""
    from stdatamodels.jwst import datamodels as dm

    _quiet()
    return dm.RampModel(a["uncal"]).data


@case("model_empty_stdatamodels", imports=STDATAMODELS)
def _empty(a, prep):
    """An empty RampModel(): stdatamodels' fixed cost of a process's first model."""
    from stdatamodels.jwst import datamodels as dm

    _quiet()
    dm.RampModel()
    return 0


def _open_mos(a):
    from stdatamodels.jwst import datamodels as dm

    _quiet()
    return {"model": dm.open(a["mos_path"])}


@case("model_save_ramps", imports=MODELS, prepare=_open_mos, cleanup=_rm)
def _save_ramps(a, prep):
    """ramps.save of the MOS cal opened by stdatamodels."""
    import ramps

    return ramps.save(prep["model"], a["out_path"], overwrite=True)


@case("model_save_stdatamodels", imports=STDATAMODELS, prepare=_open_mos, cleanup=_rm)
def _save_stdm(a, prep):
    """model.save of the MOS cal opened by stdatamodels."""
    return prep["model"].save(a["out_path"])


# --------------------------------------------------------------------------- Roman
ROMAN = ("numpy", "roman_datamodels.datamodels")
ROMAN_MODELS = RAMPS + ROMAN


def _model_arrays(m):
    """Every top-level array of a roman_datamodels model, loaded (np.asarray touches
    roman_datamodels' lazily loaded blocks)."""
    import numpy as np

    out = []
    for k in list(m._instance):
        v = m[k]
        if hasattr(v, "dtype") and hasattr(v, "shape"):
            out.append(np.asarray(v))
    return out


@case("roman_open_ramps", imports=ROMAN_MODELS)
def _roman_open_ramps(a, prep):
    """ramps.open_model(l1): a ScienceRawModel over ramps' arrays, every array."""
    import ramps

    _quiet()
    return _model_arrays(ramps.open_model(a["roman_l1"]))


@case("roman_open_rdm", imports=ROMAN)
def _roman_open_rdm(a, prep):
    """roman_datamodels.open(l1) and every array loaded."""
    import roman_datamodels.datamodels as rdm

    _quiet()
    m = rdm.open(a["roman_l1"])
    out = _model_arrays(m)
    return out


@case("roman_empty_rdm", imports=ROMAN)
def _roman_empty(a, prep):
    """roman_datamodels' fixed cost of a process's first model from a file: asdf's
    extensions loaded (asdf.AsdfFile()) and an empty ScienceRawModel()."""
    import asdf
    import roman_datamodels.datamodels as rdm

    _quiet()
    asdf.AsdfFile()
    rdm.ScienceRawModel()
    return 0


@case("roman_read_ramps", imports=RAMPS)
def _roman_read(a, prep):
    """ramps.open + p.read of every array as stored (ramps' own whole read)."""
    import ramps

    with ramps.open(a["roman_l1"]) as p:
        return [p.read(n, raw=True) for n in p.names]


def _open_roman_l2(a):
    import numpy as np
    import roman_datamodels.datamodels as rdm

    _quiet()
    m = rdm.open(a["roman_l2"])
    for k in list(m._instance):  # loaded: both saves write arrays held in memory
        v = m[k]
        if hasattr(v, "dtype") and hasattr(v, "shape"):
            m[k] = np.array(v)
    return {"model": m}


@case("roman_save_ramps", imports=ROMAN_MODELS, prepare=_open_roman_l2, cleanup=_rm)
def _roman_save_ramps(a, prep):
    """ramps.save(model, path) of the level 2 image (lz4)."""
    import ramps

    return ramps.save(prep["model"], a["out_path"], overwrite=True)


@case("roman_save_rdm", imports=ROMAN, prepare=_open_roman_l2, cleanup=_rm)
def _roman_save_rdm(a, prep):
    """model.save(path) of the level 2 image (lz4, roman_datamodels' default)."""
    return str(prep["model"].save(a["out_path"]))
