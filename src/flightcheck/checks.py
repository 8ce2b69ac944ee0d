"""Declaring checks: the decorator, the registry it fills, and what a check sees."""

from __future__ import annotations

import contextlib
import enum
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from flightcheck.errors import ConfigError

if TYPE_CHECKING:
    from flightcheck.inputs import Input


class Status(str, enum.Enum):
    """How a check ended; what the checkpoint remembers of it."""

    PASS = "PASS"
    FAIL = "FAIL"
    BLOCKED = "BLOCKED"
    INTERRUPTED = "INTERRUPTED"


class Level(str, enum.Enum):
    """The level of one assertion line a check reports."""

    PASS = "PASS"
    FAIL = "FAIL"
    WARN = "WARN"
    INFO = "INFO"


@dataclass(frozen=True)
class Line:
    level: Level
    text: str


class CheckFailed(Exception):
    """Raise inside a check to fail it with this message and stop it."""


CheckFunc = Callable[["Context"], None]


@dataclass(frozen=True)
class Check:
    """One declared check: its place, identity, inputs and function."""

    number: int
    id: str
    name: str
    func: CheckFunc
    needs: tuple[str, ...] = ()
    inputs: tuple[Input, ...] = ()
    ttl: float | None = None
    timeout: float | None = None


@dataclass
class Context:
    """What a running check reports to; handed to the check function."""

    check: Check
    project: Path
    emit: Callable[[Line], None]
    lines: list[Line] = field(default_factory=list)
    recorded: dict[str, str] = field(default_factory=dict)

    def ok(self, text: str) -> None:
        """Report a passed assertion."""
        self._add(Level.PASS, text)

    def fail(self, text: str) -> None:
        """Report a failed assertion; the check fails but goes on."""
        self._add(Level.FAIL, text)

    def warn(self, text: str) -> None:
        """Report something worth attention that does not fail the check."""
        self._add(Level.WARN, text)

    def info(self, text: str) -> None:
        """Report a plain fact."""
        self._add(Level.INFO, text)

    def record(self, name: str, value: object) -> None:
        """Remember a value dependents rely on; a change re-runs them."""
        self.recorded[name] = str(value)

    def count(self, level: Level) -> int:
        return sum(1 for line in self.lines if line.level is level)

    def _add(self, level: Level, text: str) -> None:
        line = Line(level, str(text))
        self.lines.append(line)
        self.emit(line)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: float | str | timedelta | None, what: str) -> float | None:
    """Seconds from a number, a timedelta, or text such as ``"90s"`` or ``"1h30m"``."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        parts = _DURATION.findall(value)
        if not parts or _DURATION.sub("", value).strip():
            raise ConfigError(
                f"{what} {value!r} is not a duration: write e.g. '90s', '30m', '1h'"
            )
        seconds = sum(float(n) * _UNIT_SECONDS[u.lower()] for n, u in parts)
    else:
        raise ConfigError(
            f"{what} {value!r} is not a duration: write e.g. '90s', '30m', '1h'"
        )
    if seconds <= 0:
        raise ConfigError(f"{what} must be positive, not {value!r}")
    return seconds


_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")


class Registry:
    """The ordered checks of one suite; numbers are places in declaration order."""

    def __init__(self, title: str = "Prerequisites") -> None:
        self.title = title
        self._checks: list[Check] = []
        #: Called with the project directory before anything is planned; it
        #: raises ``ConfigError`` when the project cannot run this suite.
        self.prepare: Callable[[Path], None] | None = None

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(self._checks)

    def by_id(self, check_id: str) -> Check:
        for item in self._checks:
            if item.id == check_id:
                return item
        raise KeyError(check_id)

    def add(
        self,
        func: CheckFunc,
        check_id: str,
        name: str,
        *,
        needs: Iterable[str] = (),
        inputs: Iterable[Input] = (),
        ttl: float | str | timedelta | None = None,
        timeout: float | str | timedelta | None = None,
    ) -> Check:
        if not _ID.fullmatch(check_id):
            raise ConfigError(
                f"check id {check_id!r} may hold only a-z, 0-9, '.', '_' and '-'"
            )
        known = {item.id for item in self._checks}
        if check_id in known:
            raise ConfigError(f"check id {check_id!r} is declared twice")
        needs = tuple(needs)
        for dep in needs:
            if dep not in known:
                raise ConfigError(
                    f"check {check_id!r} needs {dep!r}, which is not declared before it"
                )
        item = Check(
            number=len(self._checks) + 1,
            id=check_id,
            name=name,
            func=func,
            needs=needs,
            inputs=tuple(inputs),
            ttl=parse_duration(ttl, f"ttl of check {check_id!r}"),
            timeout=parse_duration(timeout, f"timeout of check {check_id!r}"),
        )
        self._checks.append(item)
        return item


_current = Registry()

F = TypeVar("F", bound=CheckFunc)


def check(
    check_id: str,
    name: str,
    *,
    needs: Sequence[str] = (),
    inputs: Sequence[Input] = (),
    ttl: float | str | timedelta | None = None,
    timeout: float | str | timedelta | None = None,
) -> Callable[[F], F]:
    """Declare the decorated function as the next check of the suite being loaded."""

    def register(func: F) -> F:
        _current.add(
            func, check_id, name, needs=needs, inputs=inputs, ttl=ttl, timeout=timeout
        )
        return func

    return register


def title(text: str) -> None:
    """Name the suite; the banner prints it as ``TEXT — PREREQUISITES CHECK``."""
    _current.title = text


def prepare(func: Callable[[Path], None]) -> Callable[[Path], None]:
    """Run ``func(project_dir)`` before planning, to validate the project's set-up."""
    _current.prepare = func
    return func


@contextlib.contextmanager
def collecting(registry: Registry) -> Iterator[Registry]:
    """Make ``@check`` register into ``registry`` while a suite is imported."""
    global _current
    previous, _current = _current, registry
    try:
        yield registry
    finally:
        _current = previous
