"""One run at a time: a second run names the holder; a dead holder's lock is taken."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

from conftest import Project
from flightcheck.errors import ExitCode


def wait_until_running(
    project: Project, check_id: str, process: subprocess.Popen[str]
) -> None:
    """Block until ``check_id``'s function has started in ``process``."""
    deadline = time.monotonic() + 30
    ran = project.root / "ran.txt"
    while time.monotonic() < deadline:
        if ran.exists() and check_id in ran.read_text().split():
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise AssertionError(f"check {check_id} never started")


def test_second_run_fails_at_once_naming_the_holder(project: Project) -> None:
    project.gate("aws-cli", "sleep 30")
    holder = project.start()
    try:
        wait_until_running(project, "aws-cli", holder)

        started = time.monotonic()
        second = project.run()

        assert time.monotonic() - started < 10
        assert second.returncode == ExitCode.LOCKED, second
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second
        assert f"pid {holder.pid} on {socket.gethostname()}, started " in lines[0]
        assert "--wait" in lines[0]
    finally:
        holder.kill()
        holder.communicate()


def test_wait_queues_behind_the_holder(project: Project) -> None:
    project.gate("aws-cli", "sleep 2")
    holder = project.start()
    try:
        wait_until_running(project, "aws-cli", holder)
        project.gate("aws-cli", None)

        second = project.run("--wait")

        assert second.returncode == 0, second
        assert second.stderr.startswith("flightcheck: waiting for the run that holds ")
        assert f"(pid {holder.pid} on " in second.stderr
        assert holder.wait(timeout=30) == 0
        assert "Resuming from: nothing - every check is still valid" in second.stdout
    finally:
        holder.kill()
        holder.communicate()


def test_lock_of_a_killed_run_is_taken_over(project: Project) -> None:
    project.gate("docker", "hang")
    holder = project.start()
    wait_until_running(project, "docker", holder)
    os.kill(holder.pid, signal.SIGKILL)
    holder.communicate()
    project.gate("docker", None)

    result = project.run()

    assert result.returncode == 0, result
    assert f"Took over the lock of a run that ended abruptly (pid {holder.pid}" in (
        result.stdout
    )
    # Checks 1-3 passed before the kill; docker never finished, so it runs.
    assert project.ran()[-7:] == [
        "docker",
        "permissions",
        "api-keys",
        "bucket",
        "image",
        "quotas",
        "template",
    ]
