"""flightcheck: checkpointed prerequisite checks that never make you wait twice."""

from __future__ import annotations

from flightcheck.checks import (
    CheckFailed,
    Context,
    Level,
    Status,
    check,
    prepare,
    title,
)
from flightcheck.inputs import computed, config, env, files, program, secret

__version__ = "0.1.0"

__all__ = [
    "CheckFailed",
    "Context",
    "Level",
    "Status",
    "check",
    "computed",
    "config",
    "env",
    "files",
    "prepare",
    "program",
    "secret",
    "title",
]
