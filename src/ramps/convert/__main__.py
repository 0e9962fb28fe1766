"""``python -m ramps.convert ARGS...``: the ``ramps.convert`` command (see
:func:`ramps.convert.cli.convert_main`); the conversions themselves are in
:mod:`ramps.ops.ramp`."""

if __name__ == "__main__":
    import sys

    from ramps.convert.cli import convert_main

    sys.exit(convert_main())
