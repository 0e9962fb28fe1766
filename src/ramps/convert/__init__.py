"""The commands (top layer): ``ramps.convert`` and ``ramps.info``.

- ``cli``: arguments, progress, summary lines, exit codes (:func:`convert_main`,
  :func:`info_main`); ``__main__``: ``python -m ramps.convert``
- ``plan``: inputs -> outputs, clashes found before anything is written
- ``distributed``: the same jobs on a dask.distributed cluster (``--scheduler``)
- ``info``: what ``ramps.info`` prints
- ``status``: the exit statuses both commands return
"""
