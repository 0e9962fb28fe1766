"""The FITS format: structure index (C scan), card images, reading, streaming
writing, checksums and the ASDF metadata extension of JWST products."""
