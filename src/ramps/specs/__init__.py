"""Product structure tables, kept as data: one module per mission.

:mod:`ramps.specs.jwst` holds the JWST seed tables (FITS products); their names
are re-exported here, so ``ramps.specs.get_spec("rate")`` reads as before.
Roman's tables (ASDF products) will sit beside them in ``roman.py``.
"""

from ramps.specs.jwst import *  # noqa: F401,F403
from ramps.specs.jwst import __all__  # noqa: F401
