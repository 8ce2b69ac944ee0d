"""``--explain``: every check's decision and reason, with nothing run or written."""

from __future__ import annotations

import json
import re

from conftest import Project


def test_explain_names_each_reason_and_runs_nothing(project: Project) -> None:
    project.gate("bucket", "fail")
    project.run()
    project.ran()
    checkpoint = project.state / "latest_checkpoint.json"
    data = json.loads(checkpoint.read_text())
    data["checks"]["9"]["finished_at"] = "2020-01-01T00:00:00+00:00"
    checkpoint.write_text(json.dumps(data))
    (project.root / "Dockerfile").write_text("FROM scratch\nCOPY . /\n")
    before = sorted(p.name for p in project.state.rglob("*"))

    result = project.run("--explain")

    assert result.returncode == 0, result
    lines = result.stdout.splitlines()
    assert "[ 1 ] AWS CLI - will skip: passed 0s ago, inputs unchanged" in lines
    assert "[ 7 ] S3 Bucket Name - will run: failed last time" in lines
    image = "[ 8 ] Docker Image — Build & Push to ECR"
    assert f"{image} - will run: inputs changed: Dockerfile" in lines
    assert any(
        re.fullmatch(r"\[ 9 \] .* - will run: expired \d+d ago", x) for x in lines
    )
    assert "3 of 10 checks will run." in lines
    assert project.ran() == []
    assert sorted(p.name for p in project.state.rglob("*")) == before


def test_explain_combines_with_from_check(project: Project) -> None:
    project.run()

    result = project.run("--explain", "--from-check", "9")

    assert "[ 9 ] AWS Service Quotas - will run: --from-check 9" in result.stdout
    assert "[ 8 ] Docker Image — Build & Push to ECR - will skip" in result.stdout


def test_explain_without_a_checkpoint_creates_no_state(project: Project) -> None:
    result = project.run("--explain")

    assert result.returncode == 0, result
    assert "No checkpoint in" in result.stdout
    assert "10 of 10 checks will run." in result.stdout
    assert not project.state.exists()
