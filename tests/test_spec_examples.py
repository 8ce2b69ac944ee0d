"""The spec's five usage examples, end to end, with the real command."""

from __future__ import annotations

import re

from conftest import Project

ALL = [
    "aws-cli",
    "credentials",
    "region",
    "docker",
    "permissions",
    "api-keys",
    "bucket",
    "image",
    "quotas",
    "template",
]


def test_example_1_first_run_runs_everything_and_saves_checkpoints(
    project: Project,
) -> None:
    result = project.run()

    assert result.returncode == 0, result
    assert "[MODE] No checkpoint found - running all checks" in result.stdout
    assert "  RAY PIPELINE — PREREQUISITES CHECK" in result.stdout
    assert re.search(r"^  Platform: \S+", result.stdout, re.M)
    assert "[ 8 ] Docker Image — Build & Push to ECR" in result.stdout
    assert "  [PASS] Docker Image — Build & Push to ECR is ready" in result.stdout
    assert (
        "[INFO] Checkpoint saved: Check 8 (Docker Image — Build & Push to ECR) - PASS"
        in result.stdout
    )
    assert "Prerequisites check completed. Passed: 10, Failed: 0" in result.stdout
    assert project.ran() == ALL
    saved = project.checkpoint
    assert saved["last_completed_check"] == 10
    assert saved["status"] == "PASS"
    assert saved["check_name"] == "CloudFormation Template"


def test_example_2_resume_after_failure_reruns_only_the_failed_check(
    project: Project,
) -> None:
    project.gate("bucket", "fail")
    first = project.run()
    assert first.returncode == 1, first
    assert "  [FAIL] S3 Bucket Name is not ready (gates/bucket)" in first.stdout
    assert "[INFO] Checkpoint saved: Check 7 (S3 Bucket Name) - FAIL" in first.stdout
    assert project.ran() == ALL, "a failure must not stop the run"
    assert project.checkpoint["last_completed_check"] == 6

    project.gate("bucket", None)
    second = project.run()

    assert second.returncode == 0, second
    assert re.search(
        r"^\[MODE\] Checkpoint found from \d+ seconds? ago$", second.stdout, re.M
    )
    assert "       Last completed: Check 6 (API Keys → Secrets Manager) - PASS" in (
        second.stdout
    )
    assert "       Resuming from: Check 7" in second.stdout
    assert "       Tip: Use --full to run all checks from beginning" in second.stdout
    for number, name in [(1, "AWS CLI"), (6, "API Keys → Secrets Manager")]:
        line = f"[{number:2d} ] {name} - Skipped (completed in previous run)"
        assert line in second.stdout
    assert "  [PASS] S3 Bucket Name is ready" in second.stdout
    assert project.ran() == ["bucket"]
    assert "Time saved:" in second.stdout


def test_example_3_full_runs_everything_despite_a_valid_checkpoint(
    project: Project,
) -> None:
    assert project.run().returncode == 0
    project.ran()

    result = project.run("--full")

    assert result.returncode == 0, result
    assert "[MODE] Full execution - running all checks from beginning" in result.stdout
    assert "Skipped" not in result.stdout
    assert project.ran() == ALL
    assert project.run("-f").returncode == 0
    assert project.ran() == ALL


def test_example_4_from_check_reruns_it_and_everything_after(project: Project) -> None:
    assert project.run().returncode == 0
    project.ran()

    result = project.run("--from-check", "8")

    assert result.returncode == 0, result
    assert "[MODE] Resuming from check 8" in result.stdout
    assert "[ 7 ] S3 Bucket Name - Skipped (completed in previous run)" in result.stdout
    assert "  [PASS] Docker Image — Build & Push to ECR is ready" in result.stdout
    assert project.ran() == ["image", "quotas", "template"]


def test_example_4_from_check_warns_about_earlier_checks_that_did_not_pass(
    project: Project,
) -> None:
    project.gate("bucket", "fail")
    project.run()
    project.ran()
    project.gate("bucket", None)

    result = project.run("--from-check", "9")

    assert result.returncode == 1, result
    assert "[ 7 ] S3 Bucket Name - Not run" in result.stdout
    assert (
        "  [WARN] failed last time; not run because of --from-check 9" in result.stdout
    )
    assert project.ran() == ["quotas", "template"]


def test_example_5_list_checkpoints_shows_history_newest_first(
    project: Project,
) -> None:
    project.gate("bucket", "fail")
    project.run()
    project.gate("bucket", None)
    project.run()

    for flag in ("--list-checkpoints", "-l"):
        result = project.run(flag)
        assert result.returncode == 0, result
        assert "  CHECKPOINT HISTORY" in result.stdout
        entries = re.findall(
            r"^(\d)\. (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\n"
            r"   Log: (prerequisites_run_\d{8}_\d{6}(?:_\d+)?\.log)\n"
            r"   Results: (\d+) passed, (\d+) failed",
            result.stdout,
            re.M,
        )
        assert [(e[0], e[3], e[4]) for e in entries] == [
            ("1", "1", "0"),
            ("2", "9", "1"),
        ]
        newest, older = entries[0][2], entries[1][2]
        assert newest > older
        assert (project.state / "logs" / newest).exists()
