"""The commands (top layer): ``ramps.convert`` and ``ramps.info``.

- ``cli``: arguments, progress, summary lines, exit codes (:func:`convert_main`,
  :func:`info_main`); ``__main__``: ``python -m ramps.convert``
- ``plan``: inputs -> jobs (one per output file), clashes found before anything is written
- ``job``: the picklable :class:`Job` and :func:`run_job`, the one runner of every action
- ``distributed``: the same jobs on a dask.distributed cluster (``--scheduler``)
- ``info``: what ``ramps.info`` prints
- ``status``: the exit statuses both commands return
"""
