"""Exit codes and the errors that reach a user as one line."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """What a flightcheck process tells its caller."""

    #: Every check passed (a check skipped because it is still valid counts).
    OK = 0
    #: At least one check failed, was blocked, or was not run by --from-check.
    FAILED = 1
    #: The command line, the project's configuration or its suite is wrong.
    USAGE = 2
    #: Something inside flightcheck broke; the log file has the traceback.
    INTERNAL = 70
    #: Another run holds the state directory's lock (EX_TEMPFAIL: try later).
    LOCKED = 75
    #: Interrupted with Ctrl+C (128 + SIGINT).
    INTERRUPTED = 130
    #: Stopped with SIGTERM (128 + SIGTERM).
    TERMINATED = 143


class FlightcheckError(Exception):
    """A failure the user can fix; shown as one line, never a traceback."""

    exit_code = ExitCode.USAGE


class UsageError(FlightcheckError):
    """The command line asks for something impossible."""


class ConfigError(FlightcheckError):
    """The project's configuration or suite cannot be used."""


class LockHeldError(FlightcheckError):
    """Another run holds the state directory."""

    exit_code = ExitCode.LOCKED


class InternalError(Exception):
    """A bug in flightcheck; its traceback is in ``log_file``."""

    def __init__(self, message: str, log_file: object = None) -> None:
        super().__init__(message)
        self.log_file = log_file
