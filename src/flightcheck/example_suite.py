"""The built-in example suite: five small checks that show resume at work.

It stands in for a real deployment's checks: a failing settings file plays
the spec's placeholder bucket name and a slow build plays the Docker image.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

from flightcheck import CheckFailed, Context, check, config, files, program, title

SETTINGS = "pipeline.json"
PLACEHOLDERS = ("REPLACE_ME", "CHANGE_ME", "your-bucket-name")
_LOW_DISK_BYTES = 1 << 30

title("Example pipeline")


@check("python", "Python Interpreter", inputs=[config(python=sys.version)])
def python_version(ctx: Context) -> None:
    if sys.version_info < (3, 11):
        ctx.warn("Python 3.11 or newer is recommended for the pipeline's tooling")
    ctx.ok(f"Python {platform.python_version()} ({sys.executable})")


@check("git", "Git CLI", inputs=[program("git")], timeout="30s")
def git_cli(ctx: Context) -> None:
    if shutil.which("git") is None:
        raise CheckFailed("git is not on PATH: install it (apt-get install git)")
    version = subprocess.run(
        ["git", "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    ctx.ok(f"Installed: {version}")


@check("settings", "Project Settings", inputs=[files(SETTINGS)])
def project_settings(ctx: Context) -> None:
    path = ctx.project / SETTINGS
    try:
        settings = json.loads(path.read_text())
    except FileNotFoundError:
        raise CheckFailed(
            f"{SETTINGS} is missing: create it with a bucket_name"
        ) from None
    except ValueError as exc:
        raise CheckFailed(f"{SETTINGS} is not valid JSON: {exc}") from None
    bucket = settings.get("bucket_name", "") if isinstance(settings, dict) else ""
    if not bucket or any(mark.lower() in bucket.lower() for mark in PLACEHOLDERS):
        ctx.fail(f"bucket_name is still the placeholder value: edit {SETTINGS}")
        return
    ctx.ok(f"bucket_name: {bucket}")


def _build_seconds() -> float:
    return float(os.environ.get("FLIGHTCHECK_EXAMPLE_BUILD_S", "3"))


@check("build", "Build Artifact", needs=["python"], inputs=[files("app")])
def build_artifact(ctx: Context) -> None:
    sources = sorted(p for p in (ctx.project / "app").rglob("*") if p.is_file())
    if not sources:
        raise CheckFailed("app/ holds no files to build")
    ctx.info(f"Building from {len(sources)} files...")
    time.sleep(_build_seconds())
    size = sum(p.stat().st_size for p in sources)
    ctx.ok(f"Artifact built: {len(sources)} files, {size} bytes")


@check("disk", "Disk Space", ttl="1h")
def disk_space(ctx: Context) -> None:
    free = shutil.disk_usage(ctx.project).free
    text = f"{free / (1 << 30):.1f} GiB free in {Path(ctx.project).resolve()}"
    if free < _LOW_DISK_BYTES:
        ctx.warn(f"Low disk space: {text}")
    else:
        ctx.ok(text)
