"""The FITS format: structure index (``index``, C scan), card images (``cards``),
reading (``read``), writing (``layout`` plans the HDUs, ``write`` streams them),
checksums (``checksums``) and the ASDF metadata extension of JWST products
(``asdf_extension``, write side)."""
