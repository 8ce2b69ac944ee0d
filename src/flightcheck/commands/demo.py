"""``flightcheck demo``: the example Ray project, run twice on a local AWS emulator.

The first run stops at the placeholder bucket name; the demo fixes it, and
the second run resumes, running again only what failed or changed. The
checks are the real ones: the emulator answers their AWS calls, and what
cannot pass here (no Docker engine) says so.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flightcheck
from flightcheck.errors import UsageError
from flightcheck.ray.config import DEFAULT_PARAMETERS

EXAMPLE = "ray-pipeline"
BUCKET_PARAMETER = "S3BucketName"
REGION = "us-east-1"

#: Obviously fake values: the demo must never reach a real account or key.
_FAKE = {
    "AWS_ACCESS_KEY_ID": "demo-access-key-id",
    "AWS_SECRET_ACCESS_KEY": "demo-secret-access-key",
    "OPENAI_API_KEY": "sk-demo-not-a-real-key",
    "PINECONE_API_KEY": "pcsk-demo-not-a-real-key",
}


def demo(*, keep: bool) -> int:
    """Run the example project, fix its placeholder bucket name, run it again."""
    example = _find_example()
    server_class = _emulator_class()
    workdir = Path(tempfile.mkdtemp(prefix="flightcheck-demo-"))
    project = workdir / EXAMPLE
    try:
        shutil.copytree(example, project, ignore=_UNCOPIED)
        _point_at_no_registry(project / "flightcheck.toml")
        # moto answers in this process, with boto3: it too must not find the
        # user's profile or credentials.
        base = _environment(workdir)
        with _isolated(base), _emulator(server_class) as endpoint:
            env = {**base, "AWS_ENDPOINT_URL": endpoint}
            _say(
                f"The example project, copied to {project}",
                f"AWS is a local emulator at {endpoint}, with fake credentials",
                f"It has no image registry: check 8 is pointed at {NO_REGISTRY}",
                f"First run: {BUCKET_PARAMETER} is still the placeholder",
            )
            return _two_runs(project, env)
    finally:
        if keep:
            _say(f"Kept the project at {project} (the emulator has stopped)")
        else:
            shutil.rmtree(workdir)


def _find_example() -> Path:
    """The example project in flightcheck's source tree."""
    # The package lives in src/flightcheck of the repository it is installed
    # from (editable), and the examples beside src/.
    root = Path(flightcheck.__file__).resolve().parents[2]
    example = root / "examples" / EXAMPLE
    if not (example / "flightcheck.toml").is_file():
        raise UsageError(
            f"the example project examples/{EXAMPLE} is not beside this installation"
            f" ({root}): run the demo from a clone of flightcheck (pip install -e .)"
        )
    return example


#: A loopback port where nothing listens (the discard service's).
NO_REGISTRY = "127.0.0.1:9"


def _point_at_no_registry(toml: Path) -> None:
    """Send check 8 to a registry that is not there, instead of ECR's host name."""
    # Limitation: the emulator has no image registry. Its ECR names a real AWS
    # host, and with a Docker engine check 8 would build the Ray image (GBs
    # from Docker Hub) only to be refused there; pointed at a closed loopback
    # port, check 8 fails at once, saying it cannot reach the registry.
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace('registry = ""', f'registry = "{NO_REGISTRY}"', 1))


def _environment(nowhere: Path) -> dict[str, str]:
    """This environment with fake keys, and none of the user's AWS settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(_FAKE)
    env.update(
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
        # Files that do not exist: no profile of the user's can be picked up.
        AWS_CONFIG_FILE=str(nowhere / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(nowhere / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def _two_runs(project: Path, env: dict[str, str]) -> int:
    _flightcheck(project, env)
    bucket = f"{EXAMPLE}-demo-{secrets.token_hex(4)}"
    set_parameter(project / DEFAULT_PARAMETERS, BUCKET_PARAMETER, bucket)
    _say(
        f"Fixed {DEFAULT_PARAMETERS}: {BUCKET_PARAMETER} = {bucket}",
        "Second run: only what failed or changed runs again",
    )
    code = _flightcheck(project, env)
    _say(
        *_not_passing(project),
        "The history of both runs (flightcheck --list-checkpoints):",
    )
    _flightcheck(project, env, "--list-checkpoints")
    return code


def set_parameter(path: Path, key: str, value: str) -> None:
    """Set ``key`` in a ``create-stack --parameters`` file, one entry a line."""
    entries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    found = [entry for entry in entries if entry.get("ParameterKey") == key]
    if not found:
        found = [{"ParameterKey": key}]
        entries.extend(found)
    for entry in found:
        entry["ParameterValue"] = value
    lines = ",\n".join(f"  {json.dumps(entry)}" for entry in entries)
    path.write_text(f"[\n{lines}\n]\n", encoding="utf-8")


def _not_passing(project: Path) -> list[str]:
    """A line naming the checks the last run left failed or blocked, if any."""
    checkpoint = project / ".checkpoints" / "latest_checkpoint.json"
    try:
        checks = json.loads(checkpoint.read_text(encoding="utf-8"))["checks"]
    except (OSError, ValueError, KeyError):
        # Only a summary: the run's own lines have said it all already.
        return []
    missed = [
        f"{number} ({check['name']}) {check['status']}"
        for number, check in sorted(checks.items(), key=lambda item: int(item[0]))
        if check.get("status") != "PASS"
    ]
    if not missed:
        return []
    return [f"Still not passing, as their lines say: {', '.join(missed)}"]


def _flightcheck(project: Path, env: dict[str, str], *extra: str) -> int:
    command = [sys.executable, "-m", "flightcheck", "--project", str(project)]
    sys.stdout.flush()
    return subprocess.run([*command, *extra], env=env, check=False).returncode


def _emulator_class() -> Any:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise UsageError(
            f"flightcheck demo needs the AWS emulator moto ({exc}):"
            " pip install 'flightcheck[demo]'"
        ) from None
    return ThreadedMotoServer


@contextlib.contextmanager
def _emulator(server_class: Any) -> Iterator[str]:
    """moto's server on loopback, on a port the system picks, until the end."""
    # werkzeug would print every request to stderr, and a traceback for each
    # call the emulator does not implement; the check that made the call
    # reports the error it got, in its own words.
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = server_class(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@contextlib.contextmanager
def _isolated(env: dict[str, str]) -> Iterator[None]:
    """Run with ``env`` as this process's environment, then restore it."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _say(*lines: str) -> None:
    sys.stdout.write("\n" + "".join(f"[DEMO] {line}\n" for line in lines) + "\n")
    sys.stdout.flush()


_UNCOPIED = shutil.ignore_patterns(".checkpoints", "__pycache__", "*.pyc")
