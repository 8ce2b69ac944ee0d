"""Deciding what runs and why: pure functions, no I/O.

A check is skipped only when its last result was PASS, its fingerprint is
unchanged, its time to live has not run out and no check it depends on
re-ran with a different result. Everything else runs, and the reason is
kept in words, because "why did this run?" is the first question a user asks.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from flightcheck.checks import Check, Status
from flightcheck.state import Checkpoint, CheckRecord
from flightcheck.timefmt import brief

_MAX_NAMED_CHANGES = 3


@dataclass(frozen=True)
class Mode:
    """How the user asked to run: resume (default), ``--full`` or ``--from-check``."""

    full: bool = False
    start: int | None = None

    @property
    def label(self) -> str:
        if self.full:
            return "FULL"
        if self.start is not None:
            return f"CHECKPOINT RESUME from check {self.start}"
        return "CHECKPOINT RESUME"


class Action(str, enum.Enum):
    RUN = "run"
    SKIP = "skip"
    BLOCK = "block"
    #: Before ``--from-check N`` and not passed: left alone, shown with a warning.
    HOLD = "hold"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    #: Something the user should know about a skip (inputs changed under --from-check).
    warning: str = ""
    #: The record has no fingerprint yet (an older checkpoint): store today's.
    adopt: bool = False


@dataclass(frozen=True)
class DepOutcome:
    """What became of a dependency in this run, as far as is known."""

    number: int
    name: str
    #: Whether it passed; None while unknown (it will run, in --explain).
    passed: bool | None
    #: Whether it ran and its result differs from last time; None while unknown.
    changed: bool | None
    #: How it did not pass, for the BLOCKED line: "failed", "has not run".
    state: str = ""


def decide(
    item: Check,
    prior: CheckRecord | None,
    fingerprint: Mapping[str, str],
    now: datetime,
    mode: Mode,
    deps: Sequence[DepOutcome] = (),
) -> Decision:
    """Whether one check runs, is skipped, blocked or held, and why."""
    for dep in deps:
        if dep.passed is False:
            reason = f"needs check {dep.number} ({dep.name}), which {dep.state}"
            return Decision(Action.BLOCK, reason)
    if mode.full:
        return Decision(Action.RUN, "--full")
    if mode.start is not None and item.number >= mode.start:
        return Decision(Action.RUN, f"--from-check {mode.start}")
    stale = _why_stale(item, prior, fingerprint, now, deps)
    if prior is None or prior.status is not Status.PASS:
        if mode.start is not None:
            return Decision(
                Action.HOLD, f"{stale}; not run because of --from-check {mode.start}"
            )
        return Decision(Action.RUN, stale or "never ran")
    adopt = prior.fingerprint is None
    if mode.start is not None:
        warning = (
            f"{stale}; not re-run because of --from-check {mode.start}" if stale else ""
        )
        return Decision(Action.SKIP, _passed(prior, now), warning=warning, adopt=adopt)
    if stale:
        return Decision(Action.RUN, stale)
    pending = [dep for dep in deps if dep.changed is None]
    reason = _passed(prior, now) + ", inputs unchanged"
    if pending:
        reason += f"; re-runs if check {pending[0].number} changes its result"
    return Decision(Action.SKIP, reason, adopt=adopt)


def plan(
    checks: Sequence[Check],
    checkpoint: Checkpoint | None,
    fingerprints: Mapping[str, Mapping[str, str]],
    now: datetime,
    mode: Mode,
) -> list[Decision]:
    """Every check's decision before anything runs, as ``--explain`` shows it."""
    outcomes: dict[str, DepOutcome] = {}
    decisions = []
    for item in checks:
        prior = checkpoint.find(item.id, item.number) if checkpoint else None
        deps = [outcomes[dep] for dep in item.needs]
        decision = decide(item, prior, fingerprints[item.id], now, mode, deps)
        decisions.append(decision)
        outcomes[item.id] = _expected_outcome(item, prior, decision)
    return decisions


def outcome_of(
    item: Check, prior: CheckRecord | None, new: CheckRecord | None
) -> DepOutcome:
    """What dependents see of a check once it has been run, skipped or held."""
    if new is None:
        return DepOutcome(item.number, item.name, False, False, "has not run")
    changed = prior is None or (prior.status, prior.result) != (new.status, new.result)
    passed = new.status is Status.PASS
    return DepOutcome(item.number, item.name, passed, changed, _STATE[new.status])


def _expected_outcome(
    item: Check, prior: CheckRecord | None, decision: Decision
) -> DepOutcome:
    if decision.action is Action.RUN:
        return DepOutcome(item.number, item.name, None, None)
    if decision.action is Action.BLOCK:
        return DepOutcome(item.number, item.name, False, True, "is blocked")
    outcome = outcome_of(item, prior, prior)
    return replace(outcome, changed=False)


def _why_stale(
    item: Check,
    prior: CheckRecord | None,
    fingerprint: Mapping[str, str],
    now: datetime,
    deps: Sequence[DepOutcome],
) -> str:
    if prior is None:
        return "never ran"
    if prior.status is not Status.PASS:
        return f"{_PAST[prior.status]} last time"
    if prior.fingerprint is not None:
        changed = changed_inputs(prior.fingerprint, fingerprint)
        if changed:
            return "inputs changed: " + _name_changes(changed)
    if item.ttl is not None:
        overdue = (now - prior.finished_at).total_seconds() - item.ttl
        if overdue >= 0:
            return f"expired {brief(overdue)} ago"
    for dep in deps:
        if dep.changed:
            return f"dependency {dep.number} re-ran with a different result"
    return ""


_STATE = {
    Status.PASS: "passed",
    Status.FAIL: "failed",
    Status.BLOCKED: "was blocked",
    Status.INTERRUPTED: "was interrupted",
}

_PAST = {
    Status.FAIL: "failed",
    Status.BLOCKED: "blocked",
    Status.INTERRUPTED: "interrupted",
    Status.PASS: "passed",
}


def changed_inputs(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """The labels whose digest differs, appeared or disappeared, in order."""
    labels = sorted(set(before) | set(after))
    return [label for label in labels if before.get(label) != after.get(label)]


def describe_input(label: str) -> str:
    """A fingerprint label as the user declared it: ``Dockerfile``, ``$AWS_PROFILE``."""
    kind, _, name = label.partition(":")
    if kind == "file":
        return name
    if kind in ("env", "secret"):
        return f"${name}"
    if kind == "check" and name == "definition":
        return "the check's code"
    if kind in ("config", "program"):
        return f"{kind} {name}"
    return label


def _name_changes(labels: list[str]) -> str:
    named = ", ".join(describe_input(label) for label in labels[:_MAX_NAMED_CHANGES])
    extra = len(labels) - _MAX_NAMED_CHANGES
    return f"{named} (+{extra} more)" if extra > 0 else named


def _passed(prior: CheckRecord, now: datetime) -> str:
    age = (now - prior.finished_at).total_seconds()
    return f"passed {brief(age)} ago"
