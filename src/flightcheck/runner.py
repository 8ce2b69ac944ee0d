"""Running a suite: decide, run or skip, save after every check, survive signals."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from flightcheck.checks import Check, CheckFailed, Context, Level, Registry, Status
from flightcheck.errors import ExitCode
from flightcheck.inputs import Fingerprint, digest
from flightcheck.output import Reporter, RunStart, Summary
from flightcheck.planner import (
    Action,
    Decision,
    DepOutcome,
    Mode,
    decide,
    outcome_of,
    plan,
)
from flightcheck.signals import CheckTimeout, Stopped, deadline, signals_deferred
from flightcheck.state import Checkpoint, CheckRecord
from flightcheck.store import Loaded, StateStore
from flightcheck.timefmt import clock, words

logger = logging.getLogger(__name__)


@dataclass
class RunResult:
    exit_code: ExitCode
    summary: Summary
    checkpoint: Checkpoint | None


@dataclass
class _Tally:
    passed: int = 0
    failed: int = 0
    ran: int = 0
    skipped: int = 0
    failed_checks: int = 0
    blocked: int = 0
    held: int = 0
    saved_s: float = 0.0


@dataclass
class Runner:
    """One run of one suite against one state store."""

    suite: Registry
    store: StateStore
    reporter: Reporter
    mode: Mode
    project: Path
    fingerprints: Mapping[str, Fingerprint]
    log_file: str
    platform: str
    clock: Callable[[], datetime] = lambda: datetime.now().astimezone()
    _tally: _Tally = field(default_factory=_Tally)
    _state: Checkpoint | None = None
    _running: Check | None = None

    def run(self, loaded: Loaded, notices: tuple[str, ...] = ()) -> RunResult:
        """Run the suite; a signal ends it early with everything finished saved."""
        started = self.clock()
        prior = loaded.checkpoint
        self._state = self._carry_over(prior, started)
        decisions = plan(
            self.suite.checks, prior, self.fingerprints, started, self.mode
        )
        if loaded.problem:
            notices = (*notices, loaded.problem)
        self.reporter.start(
            RunStart(
                title=self.suite.title,
                platform=self.platform,
                started=started,
                mode=self._mode_label(decisions),
                mode_lines=self._mode_lines(prior, decisions, loaded.problem),
                notices=notices,
            )
        )
        exit_code = ExitCode.OK
        try:
            self._run_all(prior)
        except KeyboardInterrupt:
            self.reporter.interrupted(self._running, "Ctrl+C")
            exit_code = ExitCode.INTERRUPTED
        except Stopped as stop:
            self.reporter.interrupted(self._running, stop.signal_name)
            exit_code = stop.exit_code
        summary = self._summary()
        if (
            exit_code is ExitCode.OK
            and summary.failed_checks + summary.blocked + summary.held
        ):
            exit_code = ExitCode.FAILED
        self.reporter.summary(summary)
        return RunResult(exit_code, summary, self._state)

    def _run_all(self, prior: Checkpoint | None) -> None:
        outcomes: dict[str, DepOutcome] = {}
        for item in self.suite.checks:
            before = prior.find(item.id, item.number) if prior else None
            deps = [outcomes[dep] for dep in item.needs]
            fingerprint = self.fingerprints[item.id]
            decision = decide(item, before, fingerprint, self.clock(), self.mode, deps)
            record = self._act(item, before, decision, fingerprint)
            outcomes[item.id] = outcome_of(item, before, record)

    def _act(
        self,
        item: Check,
        before: CheckRecord | None,
        decision: Decision,
        fingerprint: Fingerprint,
    ) -> CheckRecord | None:
        tally = self._tally
        if decision.action is Action.SKIP:
            assert before is not None
            self.reporter.check_skipped(item, decision)
            tally.skipped += 1
            tally.saved_s += before.duration_s
            if decision.adopt:
                self._commit(
                    item, replace(before, fingerprint=fingerprint), announce=False
                )
            return before
        if decision.action is Action.HOLD:
            self.reporter.check_held(item, decision)
            tally.held += 1
            return before
        if decision.action is Action.BLOCK:
            self.reporter.check_blocked(item, decision)
            tally.blocked += 1
            record = self._record(
                item, Status.BLOCKED, fingerprint, message=decision.reason
            )
        else:
            self.reporter.check_started(item, decision)
            self._running = item
            record = self._execute(item, fingerprint)
            self._running = None
            tally.ran += 1
            tally.failed_checks += record.status is Status.FAIL
        self._commit(item, record)
        return record

    def _execute(self, item: Check, fingerprint: Fingerprint) -> CheckRecord:
        ctx = Context(
            item, self.project, emit=lambda line: self.reporter.line(item, line)
        )
        started = time.monotonic()
        try:
            with deadline(item.timeout):
                item.func(ctx)
        except CheckFailed as exc:
            ctx.fail(str(exc) or "failed")
        except CheckTimeout:
            ctx.fail(f"Timed out after {clock(item.timeout or 0)}")
        except (KeyboardInterrupt, Stopped):
            duration = time.monotonic() - started
            interrupted = self._record(
                item, Status.INTERRUPTED, fingerprint, duration, ctx
            )
            self._commit(item, interrupted)
            raise
        except Exception as exc:
            logger.error("Check %d (%s) raised:", item.number, item.name, exc_info=True)
            ctx.fail(f"{type(exc).__name__}: {exc}")
        self._tally.passed += ctx.count(Level.PASS)
        self._tally.failed += ctx.count(Level.FAIL)
        status = Status.FAIL if ctx.count(Level.FAIL) else Status.PASS
        return self._record(item, status, fingerprint, time.monotonic() - started, ctx)

    def _record(
        self,
        item: Check,
        status: Status,
        fingerprint: Fingerprint,
        duration: float = 0.0,
        ctx: Context | None = None,
        message: str = "",
    ) -> CheckRecord:
        if ctx is not None and not message:
            failures = [line.text for line in ctx.lines if line.level is Level.FAIL]
            message = failures[0] if failures else ""
        result = None
        if ctx is not None and ctx.recorded:
            result = digest(json.dumps(ctx.recorded, sort_keys=True).encode())
        return CheckRecord(
            number=item.number,
            id=item.id,
            name=item.name,
            status=status,
            finished_at=self.clock(),
            duration_s=duration,
            pass_count=ctx.count(Level.PASS) if ctx else 0,
            fail_count=ctx.count(Level.FAIL) if ctx else 0,
            fingerprint=fingerprint,
            result=result,
            message=message[:500],
        )

    def _commit(
        self, item: Check, record: CheckRecord, *, announce: bool = True
    ) -> None:
        """Save the checkpoint with this record; a signal waits until it is on disk."""
        assert self._state is not None
        state = replace(
            self._state.with_record(record),
            timestamp=self.clock(),
            pass_count=self._tally.passed,
            fail_count=self._tally.failed,
        )
        with signals_deferred():
            self.store.save(state)
        self._state = state
        if announce:
            self.reporter.check_saved(item, record.status)

    def _carry_over(self, prior: Checkpoint | None, started: datetime) -> Checkpoint:
        """The state to write: each check's last record, renumbered to today's suite."""
        records = []
        for item in self.suite.checks:
            found = prior.find(item.id, item.number) if prior else None
            if found is not None:
                records.append(
                    replace(found, number=item.number, id=item.id, name=item.name)
                )
        return Checkpoint(
            timestamp=started,
            records=tuple(records),
            log_file=self.log_file,
            details={"mode": self.mode.label, "run_started": started.isoformat()},
        )

    def _mode_label(self, decisions: list[Decision]) -> str:
        if self.mode.full or self.mode.start is not None:
            return self.mode.label
        pairs = zip(self.suite.checks, decisions, strict=True)
        first = next((c for c, d in pairs if d.action is not Action.SKIP), None)
        return (
            f"{self.mode.label} from check {first.number}" if first else self.mode.label
        )

    def _mode_lines(
        self, prior: Checkpoint | None, decisions: list[Decision], problem: str
    ) -> list[str]:
        if self.mode.full:
            return ["Full execution - running all checks from beginning"]
        if self.mode.start is not None:
            return [f"Resuming from check {self.mode.start}"]
        if prior is None:
            if problem:
                return ["No usable checkpoint - running all checks"]
            return ["No checkpoint found - running all checks"]
        age = (self.clock() - prior.timestamp).total_seconds()
        last = prior.last_completed()
        pairs = zip(self.suite.checks, decisions, strict=True)
        to_run = [item for item, d in pairs if d.action is not Action.SKIP]
        lines = [f"Checkpoint found from {words(age)} ago"]
        if last is not None:
            lines.append(f"Last completed: Check {last.number} ({last.name}) - PASS")
        else:
            lines.append("Last completed: none")
        if to_run:
            lines.append(f"Resuming from: Check {to_run[0].number}")
            numbers = ", ".join(str(item.number) for item in to_run)
            lines.append(
                f"Re-running: {numbers} ({len(to_run)} of {len(decisions)} checks)"
            )
        else:
            lines.append("Resuming from: nothing - every check is still valid")
        lines.append("Tip: Use --full to run all checks from beginning")
        return lines

    def _summary(self) -> Summary:
        tally = self._tally
        return Summary(
            passed=tally.passed,
            failed=tally.failed,
            ran=tally.ran,
            skipped=tally.skipped,
            failed_checks=tally.failed_checks,
            blocked=tally.blocked,
            held=tally.held,
            saved_s=tally.saved_s,
            log_file=self.log_file,
        )
