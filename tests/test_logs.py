"""Run logs: the spec's format, one file per run, pruning, and the history index."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from conftest import Project
from flightcheck import history

LINE = re.compile(r"^\d\d:\d\d:\d\d \| .+$")


def logs_of(project: Project) -> list[Path]:
    return sorted((project.state / "logs").glob("prerequisites_run_*.log"))


def test_log_has_the_spec_lines_in_the_spec_format(project: Project) -> None:
    project.gate("bucket", "fail")
    project.run()
    project.gate("bucket", None)
    project.run("--from-check", "7")

    text = logs_of(project)[-1].read_text()

    assert all(LINE.match(line) for line in text.splitlines()), text
    messages = [line.split(" | ", 1)[1] for line in text.splitlines()]
    assert messages[0] == "=" * 60
    assert re.fullmatch(
        r"Prerequisites Check Started: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", messages[1]
    )
    assert messages[2].startswith("Platform: ")
    assert "Execution mode: CHECKPOINT RESUME from check 7" in messages
    assert "[PASS] S3 Bucket Name is ready" in messages
    assert "Checkpoint saved: Check 7 (S3 Bucket Name) - PASS" in messages
    assert "Prerequisites check completed. Passed: 4, Failed: 0" in messages
    assert messages[-1] == f"Log saved to: {logs_of(project)[-1]}"


def test_checkpoint_names_the_log_of_its_run(project: Project) -> None:
    project.run()

    assert project.checkpoint["log_file"] == str(logs_of(project)[-1])


def test_a_crashing_check_fails_with_its_message_and_logs_the_traceback(
    project: Project,
) -> None:
    project.gate("region", "raise")

    result = project.run()

    assert result.returncode == 1, result
    assert "  [FAIL] RuntimeError: region blew up" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert len(project.ran()) == 10, "the run goes on after a crashing check"
    log = logs_of(project)[-1].read_text()
    assert "Traceback (most recent call last):" in log
    assert 'raise RuntimeError(f"{ctx.check.id} blew up")' in log


def test_runs_in_the_same_second_get_their_own_log(tmp_path: Path) -> None:
    started = datetime(2026, 12, 3, 14, 32, 15)

    names = [history.create_log(tmp_path, started).name for _ in range(3)]

    assert names == [
        "prerequisites_run_20261203_143215.log",
        "prerequisites_run_20261203_143215_2.log",
        "prerequisites_run_20261203_143215_3.log",
    ]


def test_keep_logs_prunes_old_logs_and_their_history(project: Project) -> None:
    for _ in range(4):
        assert project.run().returncode == 0

    result = project.run("--keep-logs", "2")

    assert result.returncode == 0, result
    kept = [p.name for p in logs_of(project)]
    assert len(kept) == 2
    listing = project.run("-l").stdout
    assert re.findall(r"Log: (\S+)", listing) == sorted(kept, reverse=True)


def test_history_reads_only_the_end_of_a_long_index(tmp_path: Path) -> None:
    for n in range(5000):
        entry = history.RunEntry(
            started=f"2026-12-03T10:00:{n % 60:02d}",
            log=f"run{n}.log",
            passed=n,
            failed=0,
        )
        history.append(tmp_path, entry)
    with (tmp_path / history.INDEX_NAME).open("a") as index:
        index.write('{"started": "torn')

    entries = history.recent(tmp_path, 10)

    assert [e.log for e in entries] == [f"run{n}.log" for n in range(4999, 4989, -1)]


def test_history_of_the_original_script_is_read_from_its_logs(
    project: Project,
) -> None:
    logs = project.state / "logs"
    logs.mkdir(parents=True)
    (logs / "prerequisites_run_20260218_143215.log").write_text(
        "14:32:25 | Prerequisites check completed. Passed: 22, Failed: 1\n"
    )

    result = project.run("-l")

    assert "1. 2026-02-18 14:32:15" in result.stdout
    assert "   Results: 22 passed, 1 failed" in result.stdout


def test_empty_history_says_so(project: Project) -> None:
    result = project.run("--list-checkpoints")

    assert result.returncode == 0, result
    assert "No runs recorded yet." in result.stdout
    assert not project.state.exists(), "listing must not create state"
