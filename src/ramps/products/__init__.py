"""Products: the one interface a user holds, whatever the format (layer above ``fits/``
and ``asdf/``, below ``ops/``).

- ``api``: the interface (:class:`ProductAPI` protocol, :class:`ExtensionInfo` records,
  the ``format`` each product carries: ``"fits"`` or ``"asdf"``)
- ``open``: :func:`open` (dispatch on the file's first bytes), :func:`validate`,
  :func:`read_meta`
- ``fits``: :class:`Product`, a FITS file (JWST product or any FITS)
- ``asdf``: :class:`AsdfProduct`, an ASDF file (Roman product or any ASDF)
- ``exposure``, ``exposure_image``, ``exposure_checks``: the segments of one exposure
  as one product (:func:`open_exposure`)
- ``lazy``, ``asdf_lazy``: arrays decoded on demand (``p.sci[i]``)
- ``kind``: what kind of product a file is (a label, never a gate); ``roles``: the name
  a product keeps a role's array under; ``segments``: the segment keywords and plans
- ``dask``: the dask adapter (``p.to_dask``, every format), imported only when asked for
"""

from ramps.products.api import ExtensionInfo, ProductAPI
from ramps.products.asdf import AsdfProduct
from ramps.products.fits import Product
from ramps.products.open import ProductMeta, open, read_meta, validate

__all__ = ["AsdfProduct", "Exposure", "ExtensionInfo", "Product", "ProductAPI", "ProductMeta",
           "open", "open_exposure", "read_meta", "validate"]


def __getattr__(name: str):  # the exposure machinery loads only when asked for
    if name in ("Exposure", "open_exposure"):
        from ramps.products import exposure

        return getattr(exposure, name)
    raise AttributeError(f"module 'ramps.products' has no attribute {name!r}")
