"""The terminal: colour only on a terminal, a live timer, quiet closed pipes."""

from __future__ import annotations

import os
import pty
import subprocess

from conftest import Project


def run_on_terminal(project: Project, *args: str, **env: str) -> tuple[int, str]:
    """Run flightcheck with its output on a pseudo-terminal; return what it drew."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        project.command(*args),
        env={**project.env, "TERM": "xterm", **env},
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=60), b"".join(chunks).decode(errors="replace")


def test_terminal_output_is_coloured(project: Project) -> None:
    project.gate("bucket", "fail")

    code, screen = run_on_terminal(project)

    assert code == 1
    assert "\x1b[32m  [PASS] AWS CLI is ready\x1b[0m" in screen
    assert "\x1b[31;1m  [FAIL] S3 Bucket Name is not ready" in screen


def test_no_color_turns_colour_off_on_a_terminal(project: Project) -> None:
    code, screen = run_on_terminal(project, NO_COLOR="1")

    assert code == 0
    assert "\x1b[3" not in screen
    assert "  [PASS] AWS CLI is ready" in screen


def test_piped_output_has_no_colour_or_control_codes(project: Project) -> None:
    result = project.run()

    assert result.returncode == 0, result
    assert "\x1b" not in result.stdout
    assert "\r" not in result.stdout


def test_slow_check_shows_a_live_elapsed_time_on_a_terminal(project: Project) -> None:
    project.gate("docker", "sleep 3.5")

    code, screen = run_on_terminal(project)

    assert code == 0
    assert "  ... Docker: 2." in screen or "  ... Docker: 3." in screen
    # The timer line is erased before the next line is printed.
    assert "\r\x1b[2K" in screen


def test_summary_says_how_much_time_skipping_saved(project: Project) -> None:
    project.gate("image", "sleep 1.5")
    project.run()
    project.gate("bucket", "fail")
    (project.root / "params.json").write_text('{"S3BucketName": "changed"}\n')

    result = project.run()

    saved = result.stdout.split("Time saved: ")[1].split("s ", 1)[0]
    assert float(saved) >= 1.5, result


def test_closed_pipe_ends_quietly_and_the_run_still_completes(project: Project) -> None:
    project.gate("aws-cli", "sleep 0.5")
    reader = subprocess.Popen(
        ["head", "-n", "1"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    writer = subprocess.Popen(
        project.command(),
        env=project.env,
        stdout=reader.stdin,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdin is not None
    reader.stdin.close()
    _, stderr = writer.communicate(timeout=60)
    reader.wait(timeout=10)

    assert writer.returncode == 0, stderr
    assert stderr == ""
    assert project.checkpoint["last_completed_check"] == 10
