"""The pure decision of what runs and why, without any I/O."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from flightcheck.checks import Check, Registry, Status
from flightcheck.planner import Action, DepOutcome, Mode, changed_inputs, decide, plan
from flightcheck.state import Checkpoint, CheckRecord

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
FP = {"check:definition": "aaa", "file:Dockerfile": "bbb"}


def _noop(ctx: object) -> None:
    return None


def make_check(
    number: int = 1, ttl: float | None = None, needs: tuple[str, ...] = ()
) -> Check:
    return Check(number, f"c{number}", f"Check {number}", _noop, needs=needs, ttl=ttl)


def record(
    status: Status = Status.PASS,
    age: timedelta = timedelta(minutes=5),
    fingerprint: dict[str, str] | None = None,
    number: int = 1,
    result: str | None = None,
) -> CheckRecord:
    return CheckRecord(
        number=number,
        id=f"c{number}",
        name=f"Check {number}",
        status=status,
        finished_at=NOW - age,
        fingerprint=FP if fingerprint is None else fingerprint,
        result=result,
    )


def test_valid_pass_is_skipped_with_its_age() -> None:
    decision = decide(make_check(), record(), FP, NOW, Mode())

    assert decision.action is Action.SKIP
    assert decision.reason == "passed 5m ago, inputs unchanged"


def test_never_ran_runs() -> None:
    assert decide(make_check(), None, FP, NOW, Mode()).reason == "never ran"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (Status.FAIL, "failed last time"),
        (Status.BLOCKED, "blocked last time"),
        (Status.INTERRUPTED, "interrupted last time"),
    ],
)
def test_anything_but_pass_runs_again(status: Status, reason: str) -> None:
    decision = decide(make_check(), record(status), FP, NOW, Mode())

    assert (decision.action, decision.reason) == (Action.RUN, reason)


def test_changed_input_is_named() -> None:
    now_fp = {**FP, "file:Dockerfile": "ccc"}

    decision = decide(make_check(), record(), now_fp, NOW, Mode())

    assert (decision.action, decision.reason) == (
        Action.RUN,
        "inputs changed: Dockerfile",
    )


def test_many_changes_are_summarised() -> None:
    before = {f"file:f{i}": "x" for i in range(6)}
    after = {f"file:f{i}": "y" for i in range(6)}

    decision = decide(make_check(), record(fingerprint=before), after, NOW, Mode())

    assert decision.reason == "inputs changed: f0, f1, f2 (+3 more)"


def test_added_and_removed_inputs_count_as_changes() -> None:
    before = {"env:A": "1", "secret:B": "2"}
    after = {"env:A": "1", "program:aws": "3"}

    assert changed_inputs(before, after) == ["program:aws", "secret:B"]


def test_expired_time_to_live_runs() -> None:
    item = make_check(ttl=3600)

    decision = decide(item, record(age=timedelta(hours=4)), FP, NOW, Mode())

    assert (decision.action, decision.reason) == (Action.RUN, "expired 3h ago")


def test_time_to_live_not_yet_reached_skips() -> None:
    item = make_check(ttl=3600)

    decision = decide(item, record(age=timedelta(minutes=59)), FP, NOW, Mode())

    assert decision.action is Action.SKIP


def test_failed_dependency_blocks_and_names_it() -> None:
    dep = DepOutcome(2, "AWS Credentials", passed=False, changed=True, state="failed")

    decision = decide(
        make_check(5, needs=("c2",)), record(number=5), FP, NOW, Mode(), [dep]
    )

    assert decision.action is Action.BLOCK
    assert decision.reason == "needs check 2 (AWS Credentials), which failed"


def test_dependency_rerun_with_a_different_result_reruns() -> None:
    dep = DepOutcome(2, "AWS Credentials", passed=True, changed=True)

    decision = decide(make_check(5), record(number=5), FP, NOW, Mode(), [dep])

    assert decision.reason == "dependency 2 re-ran with a different result"


def test_dependency_rerun_with_the_same_result_keeps_the_skip() -> None:
    dep = DepOutcome(2, "AWS Credentials", passed=True, changed=False)

    decision = decide(make_check(5), record(number=5), FP, NOW, Mode(), [dep])

    assert decision.action is Action.SKIP


def test_full_runs_a_valid_check() -> None:
    decision = decide(make_check(), record(), FP, NOW, Mode(full=True))

    assert (decision.action, decision.reason) == (Action.RUN, "--full")


def test_from_check_runs_from_n_and_skips_earlier_passes() -> None:
    mode = Mode(start=3)

    later = decide(make_check(3), record(number=3), FP, NOW, mode)
    earlier = decide(make_check(2), record(number=2), FP, NOW, mode)

    assert (later.action, later.reason) == (Action.RUN, "--from-check 3")
    assert earlier.action is Action.SKIP
    assert earlier.warning == ""


def test_from_check_holds_earlier_failures_and_warns_of_stale_passes() -> None:
    mode = Mode(start=3)
    changed = {**FP, "file:Dockerfile": "new"}

    failed = decide(make_check(1), record(Status.FAIL), FP, NOW, mode)
    stale = decide(make_check(2), record(number=2), changed, NOW, mode)

    assert failed.action is Action.HOLD
    assert failed.reason == "failed last time; not run because of --from-check 3"
    assert stale.action is Action.SKIP
    assert stale.warning == (
        "inputs changed: Dockerfile; not re-run because of --from-check 3"
    )


def test_legacy_record_without_fingerprint_is_skipped_and_adopted() -> None:
    legacy = CheckRecord(1, "", "Check 1", Status.PASS, NOW - timedelta(hours=1))

    decision = decide(make_check(), legacy, FP, NOW, Mode())

    assert decision.action is Action.SKIP
    assert decision.adopt


def test_plan_explains_dependents_of_a_check_that_will_run() -> None:
    registry = Registry()
    registry.add(_noop, "a", "A")
    registry.add(_noop, "b", "B", needs=["a"])
    checkpoint = Checkpoint(
        timestamp=NOW,
        records=(
            CheckRecord(1, "a", "A", Status.FAIL, NOW, fingerprint={}),
            CheckRecord(2, "b", "B", Status.PASS, NOW, fingerprint={}),
        ),
    )

    decisions = plan(registry.checks, checkpoint, {"a": {}, "b": {}}, NOW, Mode())

    assert [d.action for d in decisions] == [Action.RUN, Action.SKIP]
    assert decisions[1].reason == (
        "passed 0s ago, inputs unchanged; re-runs if check 1 changes its result"
    )


def test_plan_blocks_dependents_of_a_check_that_failed_and_is_held() -> None:
    registry = Registry()
    registry.add(_noop, "a", "A")
    registry.add(_noop, "b", "B", needs=["a"])
    failed = CheckRecord(1, "a", "A", Status.FAIL, NOW, fingerprint={})
    checkpoint = Checkpoint(timestamp=NOW, records=(failed,))

    decisions = plan(
        registry.checks, checkpoint, {"a": {}, "b": {}}, NOW, Mode(start=2)
    )

    assert [d.action for d in decisions] == [Action.HOLD, Action.BLOCK]
    assert decisions[1].reason == "needs check 1 (A), which failed"
