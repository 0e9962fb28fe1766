"""``python -m ramps.convert ARGS...``: the ``ramps.convert`` command (see
:func:`ramps.cli.convert_main`); the conversions themselves are in
:mod:`ramps.conversion`."""

if __name__ == "__main__":
    import sys

    from .cli import convert_main

    sys.exit(convert_main())
