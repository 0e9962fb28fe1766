"""Operations over any product (layer above ``products/``): one public function each,
dispatching on the product's format (FITS or ASDF) and on ``dask=``.

- ``quality``: :func:`combine_dq`, :func:`recompute_err` (``quality_fits``: their FITS
  route, kernels straight over the memory map in blocks)
- ``write``: :func:`write` (a new product from arrays, FITS or ASDF by kind and name)
- ``copy``: a product (FITS or Roman ASDF) copied with some arrays replaced
- ``segments``: :func:`write_segmented`, :func:`merge_segments`
- ``ramp``: uncal -> ramp (JWST, streamed); ``roman_ramp``: level 1 -> ramp (Roman)
- ``formats``: a JWST product as plain ASDF and back
"""
