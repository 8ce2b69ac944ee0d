"""Ctrl+C and SIGTERM in the middle of a check: finished work is kept."""

from __future__ import annotations

import signal
import time

import pytest

from conftest import Project
from flightcheck.errors import ExitCode
from test_lock import wait_until_running


@pytest.mark.parametrize(
    ("signum", "code", "name"),
    [
        (signal.SIGINT, ExitCode.INTERRUPTED, "Ctrl+C"),
        (signal.SIGTERM, ExitCode.TERMINATED, "SIGTERM"),
    ],
)
def test_signal_during_a_check_saves_it_as_interrupted(
    project: Project, signum: int, code: int, name: str
) -> None:
    project.gate("docker", "sleep 30")
    process = project.start()
    wait_until_running(project, "docker", process)

    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=20)

    assert process.returncode == code, stdout + stderr
    assert "Traceback" not in stderr
    assert f"Interrupted by {name} during check 4 (Docker)" in stdout
    checks = project.checkpoint["checks"]
    assert isinstance(checks, dict)
    assert [checks[str(n)]["status"] for n in (1, 2, 3, 4)] == ["PASS"] * 3 + [
        "INTERRUPTED"
    ]
    assert "5" not in checks
    log = (project.state / "logs").glob("prerequisites_run_*.log")
    assert any(f"Interrupted by {name} during check 4" in p.read_text() for p in log)

    project.ran()
    project.gate("docker", None)
    again = project.run()

    assert again.returncode == 0, again
    assert project.ran()[0] == "docker"
    assert "Resuming from: Check 4" in again.stdout
    assert "  [INFO] Re-running: interrupted last time" in again.stdout


def test_second_ctrl_c_leaves_at_once(project: Project) -> None:
    project.gate("docker", "stubborn 30")
    process = project.start()
    wait_until_running(project, "docker", process)

    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    assert process.poll() is None, "the check swallows the first Ctrl+C"
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=20)

    assert process.returncode == ExitCode.INTERRUPTED
    assert time.monotonic() - started < 5
    checks = project.checkpoint["checks"]
    assert isinstance(checks, dict)
    assert checks["3"]["status"] == "PASS"
