"""The ASDF format (Roman products): block index, compressed chunks, read, write.

Empty for now: the Roman issue fills it.  Named ``ramps.asdf``; inside ramps,
the asdf library is always imported absolutely (``import asdf``)."""
