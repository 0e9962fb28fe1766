"""ramps: a compiled-core array I/O engine for JWST FITS and Roman ASDF science products."""

from __future__ import annotations

__version__ = "0.1.0"
