"""``--explain``: what a run would do with each check and why, running nothing."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import datetime

from flightcheck.commands.common import Target, fingerprint_all, load_target
from flightcheck.errors import ExitCode
from flightcheck.planner import Action, Mode, plan
from flightcheck.store import LocalStore
from flightcheck.timefmt import words

_VERBS = {
    Action.RUN: "will run",
    Action.SKIP: "will skip",
    Action.BLOCK: "will be blocked",
    Action.HOLD: "will not run",
}


def explain(target: Target, *, mode: Mode, environ: Mapping[str, str]) -> int:
    """Print every check's decision; touch no state."""
    suite = load_target(target, mode)
    store = LocalStore(target.state_dir)
    loaded = store.load(quarantine=False)
    fingerprints = fingerprint_all(
        target, suite, environ, store.secret_key(create=False), write_cache=False
    )
    now = datetime.now().astimezone()
    decisions = plan(suite.checks, loaded.checkpoint, fingerprints, now, mode)
    out = sys.stdout
    if loaded.problem:
        out.write(f"{loaded.problem}; a run would set it aside and run every check\n")
    elif loaded.checkpoint is None:
        out.write(
            f"[EXPLAIN] No checkpoint in {target.state_dir}: every check will run\n"
        )
    else:
        age = (now - loaded.checkpoint.timestamp).total_seconds()
        out.write(f"[EXPLAIN] Checkpoint from {words(age)} ago: {store.path}\n")
    out.write(f"[EXPLAIN] Mode: {mode.label}\n\n")
    for item, decision in zip(suite.checks, decisions, strict=True):
        verb = _VERBS[decision.action]
        out.write(f"[{item.number:2d} ] {item.name} - {verb}: {decision.reason}\n")
        if decision.warning:
            out.write(f"       warning: {decision.warning}\n")
    runs = sum(d.action is Action.RUN for d in decisions)
    out.write(f"\n{runs} of {len(decisions)} checks will run.\n")
    return ExitCode.OK
