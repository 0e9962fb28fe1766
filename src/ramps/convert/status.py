"""The exit statuses of ``ramps.convert`` and ``ramps.info`` (one definition for both)."""

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE"]

#: Every input went well.
EXIT_OK = 0
#: Some input failed (the others were still done; nothing half-written is left).
EXIT_FAILED = 1
#: A usage error: bad options or arguments (argparse's status too).
EXIT_USAGE = 2
#: Stopped by Ctrl-C (128 + SIGINT, as a shell reports it).
EXIT_INTERRUPTED = 130
