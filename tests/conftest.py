"""Fixtures: a temporary project with a ten-check suite, and the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

    def imports(self, *args: str, timeout: float = 120) -> tuple[Result, set[str]]:
        """Run under ``-X importtime``; the top-level packages the run imported."""
        done = subprocess.run(
            [sys.executable, "-X", "importtime", *self.command(*args)[1:]],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        packages = {
            line.split("|")[-1].strip().split(".")[0]
            for line in done.stderr.splitlines()
            if line.startswith("import time:") and "imported package" not in line
        }
        packages.discard("")
        return Result(args, done.returncode, done.stdout, done.stderr), packages

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


# --- The AWS emulator and the Docker engine --------------------------------

IN_CI = os.environ.get("CI") == "true"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Aws:
    """moto's server on loopback, reset for each test; ``env`` points at it."""

    endpoint: str
    env: dict[str, str]

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws(moto_endpoint: str, tmp_path: Path) -> Aws:
    """A clean emulator and the environment that sends the real code to it."""
    reset = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=10).close()
    nowhere = tmp_path / "no-aws-config"
    env = {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(nowhere / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(nowhere / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    return Aws(moto_endpoint, env)


@dataclass
class Docker:
    """The test Docker engine and the registry on loopback (scripts/services.sh)."""

    host: str
    registry: str


@pytest.fixture
def docker_engine() -> Docker:
    host = os.environ.get("FLIGHTCHECK_TEST_DOCKER_HOST", "")
    registry = os.environ.get("FLIGHTCHECK_TEST_REGISTRY", "")
    if not host or not registry:
        message = "no test Docker engine: run the tests with ./dev test"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return Docker(host, registry)


RAY_FILES = Path(__file__).parent / "ray_project"


@pytest.fixture
def ray_project(tmp_path: Path, aws: Aws) -> Project:
    """A small Ray pipeline project in the spec's layout, using the emulator."""
    root = tmp_path / "ray"
    shutil.copytree(RAY_FILES, root)
    env = clean_env(**aws.env)
    for name in ("OPENAI_API_KEY", "PINECONE_API_KEY", "AWS_PROFILE", "DOCKER_HOST"):
        env.pop(name, None)
    return Project(root, env)


def use_only(project: Project, *modules: str) -> None:
    """Give the project a suite of just these Ray checks, without dependencies.

    ``modules`` name modules of ``flightcheck.ray.checks`` (``"bucket"``); the
    checks keep the built-in suite's ids, names and time limits, so one check
    can be driven through the real command on its own.
    """
    lines = ["from flightcheck.ray import catalog"]
    lines += [f"catalog.declare(catalog.find({m!r}), needs=())" for m in modules]
    (project.root / "flightcheck_checks.py").write_text("\n".join(lines) + "\n")
