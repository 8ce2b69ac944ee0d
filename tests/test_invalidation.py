"""What re-runs after a change: the changed check and its dependents, nothing else."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from conftest import Project


@pytest.fixture
def passed(project: Project) -> Project:
    result = project.run()
    assert result.returncode == 0, result
    project.ran()
    return project


def test_nothing_changed_skips_everything(passed: Project) -> None:
    result = passed.run()

    assert result.returncode == 0, result
    assert passed.ran() == []
    assert "Resuming from: nothing - every check is still valid" in result.stdout
    assert "Checks: 0 ran, 10 skipped, 0 failed, 0 blocked" in result.stdout


def test_changed_file_in_a_directory_reruns_that_check_only(passed: Project) -> None:
    (passed.root / "app" / "main.py").write_text("print('changed')\n")

    result = passed.run()

    assert result.returncode == 0, result
    assert passed.ran() == ["image"]
    assert "  [INFO] Re-running: inputs changed: app/main.py" in result.stdout


def test_new_file_matching_a_glob_reruns_the_check(passed: Project) -> None:
    (passed.root / "extra.yaml").write_text("x: 1\n")

    passed.run()

    assert passed.ran() == ["template"]


def test_changed_environment_reruns_the_check_and_its_dependents(
    passed: Project,
) -> None:
    passed.env["AWS_PROFILE"] = "prod"

    result = passed.run()

    assert result.returncode == 0, result
    assert "inputs changed: $AWS_PROFILE" in result.stdout
    # Credentials re-ran with the same result, so its dependents stay valid.
    assert passed.ran() == ["credentials"]


def test_dependency_with_a_different_result_reruns_dependents(passed: Project) -> None:
    passed.env["AWS_PROFILE"] = "prod"
    passed.gate("credentials", "fail")

    result = passed.run()

    assert result.returncode == 1, result
    assert passed.ran() == ["credentials"]
    for number, name in [
        (3, "AWS Region"),
        (5, "AWS Permissions"),
        (8, "Docker Image"),
    ]:
        assert re.search(
            rf"^\[ ?{number} \] {name}.*\n  \[BLOCKED\] needs check 2",
            result.stdout,
            re.M,
        )
    saved = passed.checkpoint["checks"]
    assert isinstance(saved, dict)
    assert saved["3"]["status"] == "BLOCKED"

    passed.gate("credentials", None)
    second = passed.run()

    assert second.returncode == 0, second
    assert passed.ran() == [
        "credentials",
        "region",
        "permissions",
        "api-keys",
        "image",
        "quotas",
    ]
    assert "Re-running: blocked last time" in second.stdout


def test_secret_change_reruns_and_the_value_is_never_stored(passed: Project) -> None:
    passed.env["OPENAI_API_KEY"] = "sk-test-rotated-999888"

    passed.run()

    assert passed.ran() == ["api-keys"]
    state = "".join(
        p.read_text()
        for p in passed.state.rglob("*")
        if p.is_file() and p.suffix != ".key"
    )
    assert "sk-test" not in state
    entry = passed.checkpoint["checks"]["6"]  # type: ignore[index]
    assert set(entry["fingerprint"]) == {"check:definition", "secret:OPENAI_API_KEY"}


def test_check_code_change_reruns_that_check(passed: Project) -> None:
    suite = passed.root / "flightcheck_checks.py"
    suite.write_text(
        suite.read_text().replace(
            "def docker(ctx: Context) -> None:\n    obey(ctx)",
            "def docker(ctx: Context) -> None:\n    obey(ctx)\n    ctx.info('new')",
        )
    )

    result = passed.run()

    assert passed.ran() == ["docker"]
    assert "inputs changed: the check's code" in result.stdout


def test_expired_time_to_live_reruns_the_check(passed: Project) -> None:
    path = passed.state / "latest_checkpoint.json"
    data = json.loads(path.read_text())
    data["checks"]["9"]["finished_at"] = "2020-01-01T00:00:00+00:00"
    path.write_text(json.dumps(data))

    result = passed.run()

    assert passed.ran() == ["quotas"]
    assert re.search(r"Re-running: expired \d+d ago", result.stdout)


def test_short_time_to_live_expires_in_real_time(project: Project) -> None:
    suite = project.root / "flightcheck_checks.py"
    suite.write_text(suite.read_text().replace('ttl="1h"', 'ttl="1s"'))
    project.run()
    project.ran()

    project.run()
    assert project.ran() == []
    time.sleep(1.2)
    project.run()
    assert project.ran() == ["quotas"]


def test_checkpoint_restored_elsewhere_still_skips(
    passed: Project, tmp_path: Path
) -> None:
    moved = tmp_path / "elsewhere"
    shutil.copytree(passed.root, moved)
    passed.root = moved

    result = passed.run()

    assert result.returncode == 0, result
    assert passed.ran() == []
