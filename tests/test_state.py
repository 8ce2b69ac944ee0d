"""The checkpoint file: its fields, its writing, and every way it can be bad."""

from __future__ import annotations

import json
import stat
import subprocess

import pytest

from conftest import Project

SPEC_FIELDS = {
    "timestamp",
    "last_completed_check",
    "check_name",
    "status",
    "pass_count",
    "fail_count",
    "log_file",
    "details",
}
ENTRY_FIELDS = {
    "id",
    "name",
    "status",
    "finished_at",
    "duration_s",
    "pass_count",
    "fail_count",
    "fingerprint",
}


def test_checkpoint_keeps_the_spec_fields_and_one_entry_per_check(
    project: Project,
) -> None:
    project.gate("docker", "fail")
    project.run()

    saved = project.checkpoint

    assert SPEC_FIELDS | {"schema_version", "checks"} <= set(saved)
    assert saved["last_completed_check"] == 3
    assert saved["check_name"] == "AWS Region"
    assert (saved["pass_count"], saved["fail_count"]) == (8, 1)
    assert str(saved["log_file"]).endswith(".log")
    checks = saved["checks"]
    assert isinstance(checks, dict)
    assert sorted(checks, key=int) == [str(n) for n in range(1, 11)]
    for entry in checks.values():
        assert set(entry) >= ENTRY_FIELDS
    assert checks["4"]["status"] == "FAIL"
    assert checks["8"]["status"] == "BLOCKED"


def test_state_directory_keeps_itself_out_of_git(project: Project) -> None:
    project.run()
    subprocess.run(["git", "init", "-q", str(project.root)], check=True)

    status = subprocess.run(
        ["git", "-C", str(project.root), "status", "--porcelain", "--untracked=all"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert ".checkpoints" not in status
    assert "flightcheck_checks.py" in status


def test_state_directory_and_files_are_private(project: Project) -> None:
    project.run()

    assert stat.S_IMODE(project.state.stat().st_mode) == 0o700
    for path in project.state.rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path


def test_spec_shaped_checkpoint_reads_as_the_first_checks_passed(
    project: Project,
) -> None:
    project.state.mkdir()
    legacy = {
        "timestamp": "2026-02-18T14:32:15.123456",
        "last_completed_check": 8,
        "check_name": "Docker Image Build & Push",
        "status": "PASS",
        "pass_count": 22,
        "fail_count": 0,
        "log_file": "/path/to/.checkpoints/logs/prerequisites_run_20260218_143215.log",
        "details": {},
    }
    (project.state / "latest_checkpoint.json").write_text(json.dumps(legacy))

    result = project.run()

    assert result.returncode == 0, result
    assert "Last completed: Check 8 (Docker Image Build & Push) - PASS" in result.stdout
    # Check 9 has a time to live of one hour, and the file is from February.
    assert project.ran() == ["quotas", "template"]
    upgraded = project.checkpoint
    assert upgraded["schema_version"] == 2
    assert upgraded["checks"]["1"]["fingerprint"]  # type: ignore[index]

    project.run()
    assert project.ran() == []


CORRUPT = {
    "empty": b"",
    "truncated": b'{"timestamp": "2026-02-18T14:32:15", "last_comp',
    "not json": b"this is not json\n",
    "binary": b"\x00\xff\xfe garbage",
    "wrong top type": b"[1, 2, 3]",
    "wrong field type": b'{"timestamp": "2026-02-18T14:32:15", '
    b'"last_completed_check": "8"}',
    "bad time": b'{"timestamp": "yesterday", "last_completed_check": 1}',
    "bad entry": b'{"timestamp": "2026-02-18T14:32:15", '
    b'"checks": {"1": {"status": "MAYBE"}}}',
    "future schema": b'{"timestamp": "2026-02-18T14:32:15", '
    b'"schema_version": 99, "checks": {}}',
}


@pytest.mark.parametrize("content", CORRUPT.values(), ids=CORRUPT.keys())
def test_unusable_checkpoint_is_kept_aside_and_the_run_goes_on(
    project: Project, content: bytes
) -> None:
    project.state.mkdir()
    (project.state / "latest_checkpoint.json").write_bytes(content)

    result = project.run()

    assert result.returncode == 0, result
    assert "Traceback" not in result.stdout + result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith("Error loading checkpoint: ")
    assert "kept as latest_checkpoint.corrupt-" in first
    assert "[MODE] No usable checkpoint - running all checks" in result.stdout
    assert len(project.ran()) == 10
    aside = list(project.state.glob("latest_checkpoint.corrupt-*.json"))
    assert [p.read_bytes() for p in aside] == [content]
    assert project.checkpoint["last_completed_check"] == 10


def test_invalid_json_uses_the_spec_wording(project: Project) -> None:
    project.state.mkdir()
    (project.state / "latest_checkpoint.json").write_text("{oops")

    result = project.run()

    assert result.stdout.startswith("Error loading checkpoint: Invalid JSON;")


def test_wrong_type_names_the_field(project: Project) -> None:
    project.state.mkdir()
    (project.state / "latest_checkpoint.json").write_bytes(CORRUPT["wrong field type"])

    result = project.run()

    assert "last_completed_check should be a whole number" in result.stdout


def test_future_schema_says_to_upgrade(project: Project) -> None:
    project.state.mkdir()
    (project.state / "latest_checkpoint.json").write_bytes(CORRUPT["future schema"])

    result = project.run()

    assert "schema_version 99 is newer than this flightcheck reads" in result.stdout


def test_explain_reports_a_bad_checkpoint_without_moving_it(project: Project) -> None:
    project.state.mkdir()
    path = project.state / "latest_checkpoint.json"
    path.write_text("{oops")

    result = project.run("--explain")

    assert result.returncode == 0, result
    assert "Error loading checkpoint: Invalid JSON" in result.stdout
    assert path.read_text() == "{oops"
    assert project.ran() == []
