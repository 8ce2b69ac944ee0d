"""Fixtures: a temporary project with a ten-check suite, and the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from flightcheck import checks

SUITES = Path(__file__).parent / "suites"


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[checks.Registry]:
    """Each test declares checks into its own registry."""
    registry = checks.Registry()
    with checks.collecting(registry):
        yield registry


@dataclass
class Result:
    """A finished flightcheck process; its text is shown when an assert fails."""

    args: Sequence[str]
    returncode: int
    stdout: str
    stderr: str

    def __repr__(self) -> str:
        return (
            f"<flightcheck {' '.join(self.args)} exited {self.returncode}>\n"
            f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}"
        )


@dataclass
class Project:
    """A temporary project running ``tests/suites/spec_suite.py``."""

    root: Path
    env: dict[str, str]

    @property
    def state(self) -> Path:
        return self.root / ".checkpoints"

    @property
    def checkpoint(self) -> dict[str, object]:
        data: dict[str, object] = json.loads(
            (self.state / "latest_checkpoint.json").read_text()
        )
        return data

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "flightcheck", "--project", str(self.root), *args]

    def run(self, *args: str, timeout: float = 60) -> Result:
        done = subprocess.run(
            self.command(*args),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return Result(args, done.returncode, done.stdout, done.stderr)

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args),
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def gate(self, check_id: str, behaviour: str | None) -> None:
        """Make a check pass (None), ``fail``, ``raise``, or ``sleep N`` first."""
        path = self.root / "gates" / check_id
        if behaviour is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(behaviour)

    def ran(self) -> list[str]:
        """The ids of the checks whose function executed, in order, then forget."""
        path = self.root / "ran.txt"
        if not path.exists():
            return []
        ids = path.read_text().split()
        path.unlink()
        return ids


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLIGHTCHECK")}
    env.pop("NO_COLOR", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    (root / "gates").mkdir(parents=True)
    (root / "app").mkdir()
    (root / "app" / "main.py").write_text("print('ray')\n")
    (root / "Dockerfile").write_text("FROM scratch\nCOPY app /app\n")
    (root / "params.json").write_text('{"S3BucketName": "ray-pipeline-test"}\n')
    (root / "template.yaml").write_text("Resources: {}\n")
    suite = (SUITES / "spec_suite.py").read_text()
    (root / "flightcheck_checks.py").write_text(suite)
    return Project(
        root, clean_env(AWS_PROFILE="dev", OPENAI_API_KEY="sk-test-000111222333")
    )
