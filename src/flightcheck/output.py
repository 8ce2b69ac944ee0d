"""What a run shows: the original script's lines, on the terminal and in the log.

The runner reports events to a ``Reporter``; the console and the log file
are two of them, and later reports (JSON, JUnit, GitHub) are more.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TextIO

from flightcheck.checks import Check, Line, Status
from flightcheck.planner import Decision
from flightcheck.timefmt import clock

_RULE = "=" * 60
_QUIET_REASONS = ("never ran", "--full", "--from-check")


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


class ConsoleReporter:
    """The terminal lines of the original script, coloured on a terminal."""

    def __init__(self, sink: ConsoleSink, redact: Redactor) -> None:
        self._sink = sink
        self._redact = redact

    def _out(self, text: str = "", style: str = "") -> None:
        self._sink.write(self._redact(text), style)

    def start(self, run: RunStart) -> None:
        for text in run.notices:
            self._out(text, "warn")
        first, *rest = run.mode_lines
        self._out(f"[MODE] {first}", "mode")
        for text in rest:
            self._out(f"       {text}", "mode")
        self._out()
        self._out(_RULE, "rule")
        self._out(f"  {run.title.upper()} — PREREQUISITES CHECK", "title")
        self._out(f"  Platform: {run.platform}", "title")
        self._out(_RULE, "rule")
        self._out()

    def check_started(self, item: Check, decision: Decision) -> None:
        self._out(f"[{item.number:2d} ] {item.name}", "header")
        if not decision.reason.startswith(_QUIET_REASONS):
            self._out(f"  [INFO] Re-running: {decision.reason}", "info")
        self._sink.activity(item.name)

    def line(self, item: Check, line: Line) -> None:
        self._out(f"  [{line.level.value}] {line.text}", line.level.value.lower())

    def check_skipped(self, item: Check, decision: Decision) -> None:
        self._out(
            f"[{item.number:2d} ] {item.name} - Skipped (completed in previous run)",
            "skip",
        )
        if decision.warning:
            self._out(f"  [WARN] {decision.warning}", "warn")

    def check_held(self, item: Check, decision: Decision) -> None:
        self._out(f"[{item.number:2d} ] {item.name} - Not run", "header")
        self._out(f"  [WARN] {decision.reason}", "warn")

    def check_blocked(self, item: Check, decision: Decision) -> None:
        self._out(f"[{item.number:2d} ] {item.name}", "header")
        self._out(f"  [BLOCKED] {decision.reason}", "blocked")

    def check_saved(self, item: Check, status: Status) -> None:
        self._sink.activity(None)
        self._out(f"[INFO] Checkpoint saved: {_check_status(item, status)}", "info")
        self._out()

    def interrupted(self, item: Check | None, signal_name: str) -> None:
        self._sink.activity(None)
        self._out()
        self._out(f"[INFO] {_interruption(item, signal_name)}", "warn")

    def summary(self, summary: Summary) -> None:
        self._sink.activity(None)
        if not self._sink.after_blank:
            self._out()
        self._out(_RULE, "rule")
        self._out(_completed(summary), "title")
        self._out(_check_counts(summary))
        if summary.skipped:
            saved = clock(summary.saved_s)
            self._out(f"Time saved: {saved} (what the skipped checks took last time)")
        self._out(f"Log saved to: {summary.log_file}")
        self._out(_RULE, "rule")


class LogReporter:
    """The run's log file, in the original ``HH:MM:SS | message`` lines."""

    def __init__(self, logger: logging.Logger, redact: Redactor) -> None:
        self._logger = logger
        self._redact = redact

    def _out(self, text: str) -> None:
        self._logger.info("%s", self._redact(text))

    def start(self, run: RunStart) -> None:
        self._out(_RULE)
        self._out(f"Prerequisites Check Started: {run.started:%Y-%m-%d %H:%M:%S}")
        self._out(f"Platform: {run.platform}")
        self._out(_RULE)
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
        self._out(_interruption(item, signal_name))

    def summary(self, summary: Summary) -> None:
        self._out(_completed(summary))
        self._out(_check_counts(summary))
        if summary.skipped:
            self._out(f"Time saved by skipping: {clock(summary.saved_s)}")
        self._out(f"Log saved to: {summary.log_file}")


def _interruption(item: Check | None, signal_name: str) -> str:
    where = f" during check {item.number} ({item.name})" if item else ""
    return f"Interrupted by {signal_name}{where}; finished checks are saved"


def _check_status(item: Check, status: Status) -> str:
    return f"Check {item.number} ({item.name}) - {status.value}"


def _completed(summary: Summary) -> str:
    counts = f"Passed: {summary.passed}, Failed: {summary.failed}"
    return f"Prerequisites check completed. {counts}"


def _check_counts(summary: Summary) -> str:
    text = (
        f"Checks: {summary.ran} ran, {summary.skipped} skipped, "
        f"{summary.failed_checks} failed, {summary.blocked} blocked"
    )
    return text + (f", {summary.held} not run" if summary.held else "")


_COLOURS = {
    "pass": "32",
    "fail": "31;1",
    "warn": "33",
    "info": "36",
    "blocked": "35;1",
    "mode": "1",
    "title": "1",
    "header": "1",
    "skip": "2",
    "rule": "2",
}


class ConsoleSink:
    """The terminal: colour only on a terminal, a live timer for slow checks."""

    #: A check running longer than this shows its elapsed time (terminal only).
    ACTIVITY_AFTER_S = 2.0

    def __init__(self, stream: TextIO, environ: Mapping[str, str]) -> None:
        self._stream = stream
        self._tty = _isatty(stream)
        self._colour = (
            self._tty and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"
        )
        self._lock = threading.Lock()
        self._ticker: _Ticker | None = None
        self._status_shown = False
        self._closed = False
        #: Whether the last line written was empty, to avoid doubled blank lines.
        self.after_blank = True

    def write(self, text: str, style: str) -> None:
        with self._lock:
            self._clear_status()
            self.after_blank = not text
            if self._colour and style in _COLOURS and text:
                text = f"\x1b[{_COLOURS[style]}m{text}\x1b[0m"
            self._emit(text + "\n")

    def activity(self, label: str | None) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
        with self._lock:
            self._clear_status()
        if label is not None and self._tty:
            self._ticker = _Ticker(self, label)

    def show_status(self, text: str) -> None:
        with self._lock:
            self._emit(f"\r\x1b[2K{text}")
            self._status_shown = True

    def _clear_status(self) -> None:
        if self._status_shown:
            self._emit("\r\x1b[2K")
            self._status_shown = False

    def _emit(self, text: str) -> None:
        if self._closed:
            return
        try:
            self._stream.write(text)
            self._stream.flush()
        except BrokenPipeError:
            # The reader went away (``| head``): stop printing, finish the run.
            self._closed = True
            _silence(self._stream)


class _Ticker(threading.Thread):
    def __init__(self, sink: ConsoleSink, label: str) -> None:
        super().__init__(name="flightcheck-activity", daemon=True)
        self._sink = sink
        self._label = label
        self._since = time.monotonic()
        self._done = threading.Event()
        self.start()

    def run(self) -> None:
        if self._done.wait(ConsoleSink.ACTIVITY_AFTER_S):
            return
        while not self._done.is_set():
            elapsed = time.monotonic() - self._since
            self._sink.show_status(f"  ... {self._label}: {clock(elapsed)} elapsed")
            self._done.wait(0.5)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _silence(stream: TextIO) -> None:
    # Point the descriptor at /dev/null so that the interpreter's own flush at
    # exit does not hit the closed pipe and print "Exception ignored".
    # A stream with no descriptor cannot be redirected; printing has stopped
    # anyway, which is all that matters.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
