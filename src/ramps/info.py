"""``python -m ramps.info FILE...``: see :func:`ramps.cli.info_main`."""

if __name__ == "__main__":
    import sys

    from .cli import info_main

    sys.exit(info_main())
