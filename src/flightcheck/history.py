"""Run logs and their index: one log file per run, one index line per run.

``--list-checkpoints`` reads only the end of the index, so it stays fast with
thousands of runs; logs left by the original script (no index) are read
directly instead.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path

logger = logging.getLogger(__name__)

LOG_PREFIX = "prerequisites_run_"
INDEX_NAME = "index.jsonl"
_BLOCK = 64 * 1024
_RESULT_LINE = re.compile(r"Passed: (\d+), Failed: (\d+)")
_LOG_NAME = re.compile(rf"{LOG_PREFIX}(\d{{8}})_(\d{{6}})(?:_\d+)?\.log")


@dataclass(frozen=True)
class RunEntry:
    """One line of the index: a finished (or interrupted) run."""

    started: str
    log: str
    passed: int
    failed: int
    ran: int = 0
    skipped: int = 0
    mode: str = ""
    exit_code: int = 0

    @classmethod
    def parse(cls, line: str) -> RunEntry | None:
        try:
            data = json.loads(line)
            known = {name: data[name] for name in _FIELDS if name in data}
            return cls(**known)
        except (ValueError, TypeError):
            return None


_FIELDS = tuple(f.name for f in fields(RunEntry))


def create_log(logs_dir: Path, started: datetime) -> Path:
    """A new, empty log file named for its start time; never one in use."""
    logs_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    stem = f"{LOG_PREFIX}{started:%Y%m%d_%H%M%S}"
    for attempt in range(1, 1000):
        name = f"{stem}.log" if attempt == 1 else f"{stem}_{attempt}.log"
        path = logs_dir / name
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"too many runs started at {stem} in {logs_dir}")


def append(logs_dir: Path, entry: RunEntry) -> None:
    """Add one run to the index with a single append."""
    line = json.dumps(asdict(entry), separators=(",", ":")) + "\n"
    path = logs_dir / INDEX_NAME
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def recent(logs_dir: Path, limit: int) -> list[RunEntry]:
    """The newest ``limit`` runs, newest first."""
    index = logs_dir / INDEX_NAME
    if not index.exists():
        return _from_logs(logs_dir, limit)
    entries = []
    for line in reversed(_tail_lines(index, limit + 1)):
        entry = RunEntry.parse(line)
        if entry is not None:
            entries.append(entry)
        if len(entries) == limit:
            break
    return entries


def _tail_lines(path: Path, count: int) -> list[str]:
    with path.open("rb") as stream:
        stream.seek(0, os.SEEK_END)
        end = position = stream.tell()
        data = b""
        while position > 0 and data.count(b"\n") <= count:
            position = max(0, position - _BLOCK)
            stream.seek(position)
            data = stream.read(end - position)
    lines = data.decode(errors="replace").splitlines()
    # The first line may be cut in the middle unless the file was read whole.
    return lines if position == 0 else lines[1:]


def _from_logs(logs_dir: Path, limit: int) -> list[RunEntry]:
    if not logs_dir.is_dir():
        return []
    names = sorted((p.name for p in logs_dir.glob(f"{LOG_PREFIX}*.log")), reverse=True)
    return [
        entry for name in names[:limit] if (entry := _entry_from_log(logs_dir / name))
    ]


def _entry_from_log(path: Path) -> RunEntry | None:
    match = _LOG_NAME.fullmatch(path.name)
    if match is None:
        return None
    started = datetime.strptime(match[1] + match[2], "%Y%m%d%H%M%S").isoformat()
    passed = failed = 0
    with contextlib.suppress(OSError):
        for result in _RESULT_LINE.finditer(path.read_text(errors="replace")):
            passed, failed = int(result[1]), int(result[2])
    return RunEntry(started=started, log=path.name, passed=passed, failed=failed)


def prune(logs_dir: Path, keep: int) -> int:
    """Delete all but the newest ``keep`` logs and their index lines."""
    logs = sorted(
        logs_dir.glob(f"{LOG_PREFIX}*.log"), key=lambda p: p.name, reverse=True
    )
    doomed = logs[keep:]
    for path in doomed:
        try:
            path.unlink()
        except OSError as exc:
            logger.warning("Could not delete the old log %s: %s", path, exc)
    index = logs_dir / INDEX_NAME
    if doomed and index.exists():
        kept = {p.name for p in logs[:keep]}
        lines = [
            line
            for line in index.read_text(errors="replace").splitlines(keepends=True)
            if (entry := RunEntry.parse(line)) and entry.log in kept
        ]
        tmp = index.with_suffix(".tmp")
        tmp.write_text("".join(lines))
        os.replace(tmp, index)
    return len(doomed)


def render(entries: list[RunEntry]) -> str:
    """The ``--list-checkpoints`` listing, laid out as the original script's."""
    rule = "=" * 80
    out = [rule, "  CHECKPOINT HISTORY", rule, ""]
    for number, entry in enumerate(entries, 1):
        out.append(f"{number}. {_display_time(entry.started)}")
        out.append(f"   Log: {entry.log}")
        out.append(f"   Results: {entry.passed} passed, {entry.failed} failed")
        if entry.mode:
            out.append(
                f"   Checks: {entry.ran} ran, {entry.skipped} skipped"
                f" ({entry.mode.lower()}, exit {entry.exit_code})"
            )
        out.append("")
    if not entries:
        out += ["No runs recorded yet.", ""]
    out.append(rule)
    return "\n".join(out)


def _display_time(started: str) -> str:
    try:
        return datetime.fromisoformat(started).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return started
