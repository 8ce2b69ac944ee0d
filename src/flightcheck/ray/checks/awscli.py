"""Check 1, AWS CLI: installed, its version read, and recent enough."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

from flightcheck import CheckFailed, Context
from flightcheck.inputs import Input, program
from flightcheck.inputs import config as config_values
from flightcheck.ray.config import RayConfig

INSTALL_URL = (
    "https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
)
VERSION_TIMEOUT_S = 30
_VERSION = re.compile(r"\baws-cli/(\d+(?:\.\d+)*)")
_MINIMUM = re.compile(r"\d+(?:\.\d+)*")
_QUOTE_CHARS = 80


def inputs(config: RayConfig) -> list[Input]:
    return [program("aws"), config_values(cli_min_version=config.aws.cli_min_version)]


def run(ctx: Context, config: RayConfig) -> None:
    minimum = _minimum(config.aws.cli_min_version)
    path = shutil.which("aws", path=os.environ.get("PATH"))
    if path is None:
        raise CheckFailed(f"aws is not on PATH: {install_hint()}")
    ctx.info(f"Found at {path}")
    version = parse_version(_version_output(path))
    if minimum and as_numbers(version) < minimum:
        ctx.fail(
            f"aws-cli/{version} is older than {config.aws.cli_min_version}, the "
            "minimum set by cli_min_version under [aws] in flightcheck.toml: "
            f"upgrade it ({install_hint()}) or lower that minimum"
        )
        return
    ctx.ok(f"Installed: aws-cli/{version}")
    if not minimum and as_numbers(version) < (2,):
        ctx.warn(
            f"AWS CLI v1 works, but v2 is recommended: {install_hint()} "
            '(or set cli_min_version = "1" under [aws] in flightcheck.toml)'
        )


def parse_version(output: str) -> str:
    """The ``X.Y.Z`` of ``aws --version`` output; ``CheckFailed`` if there is none."""
    found = _VERSION.search(output)
    if found is None:
        said = " ".join(output.split())[:_QUOTE_CHARS]
        quoted = repr(said) if said else "nothing"
        raise CheckFailed(
            f"cannot read the version from `aws --version`, which printed "
            f"{quoted}: reinstall the AWS CLI ({INSTALL_URL})"
        )
    return found.group(1)


def as_numbers(version: str) -> tuple[int, ...]:
    """``"2.31.15"`` as ``(2, 31, 15)``, comparable with another version."""
    return tuple(int(part) for part in version.split("."))


def install_hint() -> str:
    """How to install AWS CLI v2 on this platform."""
    if sys.platform == "darwin":
        return f"install AWS CLI v2 with `brew install awscli` or from {INSTALL_URL}"
    return f"install AWS CLI v2 from {INSTALL_URL}, then open a new shell"


def _minimum(text: str) -> tuple[int, ...]:
    if not text:
        return ()
    if not _MINIMUM.fullmatch(text.strip()):
        raise CheckFailed(
            f"cli_min_version = {text!r} under [aws] in flightcheck.toml is not a "
            'version: write it like "2.15" or "2.15.0"'
        )
    return as_numbers(text.strip())


def _version_output(path: str) -> str:
    try:
        done = subprocess.run(
            [path, "--version"],
            capture_output=True,
            text=True,
            errors="replace",
            stdin=subprocess.DEVNULL,
            timeout=VERSION_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CheckFailed(
            f"`{path} --version` did not answer within {VERSION_TIMEOUT_S}s: "
            f"reinstall the AWS CLI ({INSTALL_URL})"
        ) from exc
    except OSError as exc:
        raise CheckFailed(
            f"cannot run {path}: {exc.strerror or exc}; reinstall the AWS CLI "
            f"({INSTALL_URL})"
        ) from exc
    # AWS CLI v1 before 1.18 printed its version on standard error.
    return f"{done.stdout}\n{done.stderr}"
