"""What a run shows: the original script's lines, on the terminal and in the log.

The runner reports events to a ``Reporter``; the log file is one (here),
the console another (``flightcheck.console``), and later reports (JSON,
JUnit, GitHub) will be more.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flightcheck.checks import Check, Line, Status
from flightcheck.planner import Decision
from flightcheck.timefmt import clock

RULE = "=" * 60


@dataclass(frozen=True)
class RunStart:
    """What is known when a run begins."""

    title: str
    platform: str
    started: datetime
    mode: str
    #: The ``[MODE]`` block: its first line, then the indented ones.
    mode_lines: Sequence[str]
    #: Lines the user must see first (an unusable checkpoint, a lock taken over).
    notices: Sequence[str] = ()


@dataclass(frozen=True)
class Summary:
    passed: int
    failed: int
    ran: int
    skipped: int
    failed_checks: int
    blocked: int
    held: int
    saved_s: float
    log_file: str


class Reporter(Protocol):
    """Everything a run tells the outside world, one event at a time."""

    def start(self, run: RunStart) -> None: ...
    def check_started(self, item: Check, decision: Decision) -> None: ...
    def line(self, item: Check, line: Line) -> None: ...
    def check_skipped(self, item: Check, decision: Decision) -> None: ...
    def check_held(self, item: Check, decision: Decision) -> None: ...
    def check_blocked(self, item: Check, decision: Decision) -> None: ...
    def check_saved(self, item: Check, status: Status) -> None: ...
    def interrupted(self, item: Check | None, signal_name: str) -> None: ...
    def summary(self, summary: Summary) -> None: ...


class Redactor:
    """Replaces secret values with ``****`` wherever they would be shown."""

    _MIN_LENGTH = 6

    def __init__(self, values: Iterable[str]) -> None:
        usable = sorted(
            {v for v in values if len(v) >= self._MIN_LENGTH}, key=len, reverse=True
        )
        self._pattern = re.compile("|".join(map(re.escape, usable))) if usable else None

    @classmethod
    def for_environment(
        cls, environ: Mapping[str, str], names: Iterable[str]
    ) -> Redactor:
        """Redact declared secrets and anything whose name says it is one."""
        chosen = set(names) | {n for n in environ if _SECRET_NAME.search(n)}
        return cls(environ[n] for n in chosen if n in environ)

    def __call__(self, text: str) -> str:
        return self._pattern.sub("****", text) if self._pattern else text


_SECRET_NAME = re.compile(
    r"SECRET|TOKEN|PASSWORD|PASSWD|API_KEY|PRIVATE", re.IGNORECASE
)


class Fanout:
    """Hands every event to several reporters, in order."""

    def __init__(self, *reporters: Reporter) -> None:
        self._reporters = reporters

    def start(self, run: RunStart) -> None:
        for reporter in self._reporters:
            reporter.start(run)

    def check_started(self, item: Check, decision: Decision) -> None:
        for reporter in self._reporters:
            reporter.check_started(item, decision)

    def line(self, item: Check, line: Line) -> None:
        for reporter in self._reporters:
            reporter.line(item, line)

    def check_skipped(self, item: Check, decision: Decision) -> None:
        for reporter in self._reporters:
            reporter.check_skipped(item, decision)

    def check_held(self, item: Check, decision: Decision) -> None:
        for reporter in self._reporters:
            reporter.check_held(item, decision)

    def check_blocked(self, item: Check, decision: Decision) -> None:
        for reporter in self._reporters:
            reporter.check_blocked(item, decision)

    def check_saved(self, item: Check, status: Status) -> None:
        for reporter in self._reporters:
            reporter.check_saved(item, status)

    def interrupted(self, item: Check | None, signal_name: str) -> None:
        for reporter in self._reporters:
            reporter.interrupted(item, signal_name)

    def summary(self, summary: Summary) -> None:
        for reporter in self._reporters:
            reporter.summary(summary)


class LogReporter:
    """The run's log file, in the original ``HH:MM:SS | message`` lines."""

    def __init__(self, logger: logging.Logger, redact: Redactor) -> None:
        self._logger = logger
        self._redact = redact

    def _out(self, text: str) -> None:
        self._logger.info("%s", self._redact(text))

    def start(self, run: RunStart) -> None:
        self._out(RULE)
        self._out(f"Prerequisites Check Started: {run.started:%Y-%m-%d %H:%M:%S}")
        self._out(f"Platform: {run.platform}")
        self._out(RULE)
        for text in run.notices:
            self._out(text)
        self._out(f"Execution mode: {run.mode}")
        for text in run.mode_lines:
            self._out(text)

    def check_started(self, item: Check, decision: Decision) -> None:
        self._out(f"[{item.number:2d} ] {item.name} - running ({decision.reason})")

    def line(self, item: Check, line: Line) -> None:
        self._out(f"[{line.level.value}] {line.text}")

    def check_skipped(self, item: Check, decision: Decision) -> None:
        self._out(f"[{item.number:2d} ] {item.name} - Skipped ({decision.reason})")
        if decision.warning:
            self._out(f"[WARN] {decision.warning}")

    def check_held(self, item: Check, decision: Decision) -> None:
        self._out(f"[{item.number:2d} ] {item.name} - Not run ({decision.reason})")

    def check_blocked(self, item: Check, decision: Decision) -> None:
        self._out(f"[{item.number:2d} ] {item.name} - BLOCKED ({decision.reason})")

    def check_saved(self, item: Check, status: Status) -> None:
        self._out(
            f"Checkpoint saved: Check {item.number} ({item.name}) - {status.value}"
        )

    def interrupted(self, item: Check | None, signal_name: str) -> None:
        self._out(interruption(item, signal_name))

    def summary(self, summary: Summary) -> None:
        self._out(completed(summary))
        self._out(check_counts(summary))
        if summary.skipped:
            self._out(f"Time saved by skipping: {clock(summary.saved_s)}")
        self._out(f"Log saved to: {summary.log_file}")


def interruption(item: Check | None, signal_name: str) -> str:
    where = f" during check {item.number} ({item.name})" if item else ""
    return f"Interrupted by {signal_name}{where}; finished checks are saved"


def check_status(item: Check, status: Status) -> str:
    return f"Check {item.number} ({item.name}) - {status.value}"


def completed(summary: Summary) -> str:
    counts = f"Passed: {summary.passed}, Failed: {summary.failed}"
    return f"Prerequisites check completed. {counts}"


def check_counts(summary: Summary) -> str:
    text = (
        f"Checks: {summary.ran} ran, {summary.skipped} skipped, "
        f"{summary.failed_checks} failed, {summary.blocked} blocked"
    )
    return text + (f", {summary.held} not run" if summary.held else "")
