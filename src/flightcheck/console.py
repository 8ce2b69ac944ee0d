"""The terminal: the spec's lines, coloured only on a terminal, with a live timer."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Mapping
from typing import TextIO

from flightcheck.checks import Check, Line, Status
from flightcheck.output import (
    RULE,
    Redactor,
    RunStart,
    Summary,
    check_counts,
    check_status,
    completed,
    interruption,
)
from flightcheck.planner import Decision
from flightcheck.timefmt import clock

#: Reasons too plain to repeat under a check's header.
_QUIET_REASONS = ("never ran", "--full", "--from-check")


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
        self._out(RULE, "rule")
        self._out(f"  {run.title.upper()} — PREREQUISITES CHECK", "title")
        self._out(f"  Platform: {run.platform}", "title")
        self._out(RULE, "rule")
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
        self._out(f"[INFO] Checkpoint saved: {check_status(item, status)}", "info")
        self._out()

    def interrupted(self, item: Check | None, signal_name: str) -> None:
        self._sink.activity(None)
        self._out()
        self._out(f"[INFO] {interruption(item, signal_name)}", "warn")

    def summary(self, summary: Summary) -> None:
        self._sink.activity(None)
        if not self._sink.after_blank:
            self._out()
        self._out(RULE, "rule")
        self._out(completed(summary), "title")
        self._out(check_counts(summary))
        if summary.skipped:
            saved = clock(summary.saved_s)
            self._out(f"Time saved: {saved} (what the skipped checks took last time)")
        self._out(f"Log saved to: {summary.log_file}")
        self._out(RULE, "rule")


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
