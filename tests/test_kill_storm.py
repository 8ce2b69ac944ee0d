"""Hundreds of runs killed with SIGKILL at random moments lose nothing."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import Project
from flightcheck import history
from flightcheck.state import Checkpoint

KILLS = 200
WORKERS = 4


def storm(project: Project, kills: int, seed: int) -> list[int]:
    """Kill ``kills`` full runs at random moments; check the state after each."""
    rng = random.Random(seed)
    for check_id in ("aws-cli", "docker", "bucket", "quotas"):
        project.gate(check_id, "sleep 0.03")
    kept: set[int] = set()
    mid_run = []
    for attempt in range(kills):
        project.ran()
        process = project.start("--full")
        wait_for_checks(project, rng.randint(0, 10), deadline=time.monotonic() + 10)
        # Land anywhere: before the first check, inside one, or inside a save.
        time.sleep(rng.uniform(0.0, 0.04))
        os.kill(process.pid, signal.SIGKILL)
        process.communicate()
        if killed_between_saves(project):
            mid_run.append(attempt)
        kept = assert_state_sound(project, kept)
    return mid_run


def wait_for_checks(project: Project, count: int, deadline: float) -> None:
    """Return once ``count`` check functions have started (or at the deadline)."""
    ran = project.root / "ran.txt"
    while time.monotonic() < deadline:
        if count == 0 or (ran.exists() and len(ran.read_text().split()) >= count):
            return
        time.sleep(0.005)


def killed_between_saves(project: Project) -> bool:
    """Whether the last run saved some checks and was killed before the end."""
    logs = sorted((project.state / "logs").glob("prerequisites_run_*.log"))
    if not logs:
        return False
    text = logs[-1].read_text()
    return "Checkpoint saved" in text and "check completed" not in text


def assert_state_sound(project: Project, kept: set[int]) -> set[int]:
    path = project.state / "latest_checkpoint.json"
    if not path.exists():
        assert not kept, "a checkpoint that existed disappeared"
        return kept
    checkpoint = Checkpoint.from_dict(json.loads(path.read_bytes()))
    passed = {r.number for r in checkpoint.records if r.status.value == "PASS"}
    assert kept <= passed, f"passes lost: {sorted(kept - passed)}"
    leftovers = list(project.state.glob(".latest_checkpoint.*.tmp"))
    assert len(leftovers) <= 1, leftovers
    logs = project.state / "logs"
    if logs.exists():
        history.recent(logs, 10_000)
    return passed


@pytest.mark.slow
def test_sigkill_at_random_moments_never_corrupts_or_loses_a_pass(
    project: Project, tmp_path: Path
) -> None:
    projects = []
    for worker in range(WORKERS):
        root = tmp_path / f"storm-{worker}"
        shutil.copytree(project.root, root)
        projects.append(Project(root, dict(project.env)))

    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = list(
            pool.map(storm, projects, [KILLS // WORKERS] * WORKERS, range(WORKERS))
        )

    mid_run = sum(len(runs) for runs in outcomes)
    print(f"{mid_run} of {KILLS} kills landed between two saves")
    # The storm proves something only if many kills land between two saves.
    assert mid_run > KILLS // 2, f"only {mid_run} of {KILLS} kills landed mid-run"
    for each in projects:
        each.gate("aws-cli", None)
        result = each.run()
        assert result.returncode == 0, result
        assert not list(each.state.glob(".latest_checkpoint.*.tmp"))
        assert each.checkpoint["last_completed_check"] == 10
