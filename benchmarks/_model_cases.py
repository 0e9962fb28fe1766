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
