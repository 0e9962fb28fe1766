"""The ASDF format (Roman products): structure index, codecs, read, write.

``index`` (YAML tree + block headers), ``codecs`` (block compression registry:
lz4 in C, zlib, bzp2), ``read`` (:class:`~ramps.products.asdf.AsdfProduct`, what
``ramps.open`` returns for ASDF files), ``lazy``, ``validate``, ``tree`` and
``write`` (``ramps.write`` of ``.asdf`` targets), ``ramp`` (level 1 -> ramp),
``ops`` (DQ combining and ERR on Roman products).
Named ``ramps.asdf``; inside ramps, the asdf library is always imported
absolutely (``import asdf``)."""
