"""Check 4: the Docker engine answers, can build the image's platform, has room."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

from flightcheck import CheckFailed, Context, Level
from flightcheck.inputs import Input, env, program
from flightcheck.inputs import config as config_values
from flightcheck.ray.config import RayConfig

#: Below this much free disk under the engine's data root, the check warns.
LOW_DISK_GIB = 10
COMMAND_TIMEOUT_S = 30

_GIB = 1 << 30
_INSTALL = (
    "install Docker: Docker Desktop on macOS and Windows, "
    "`sudo apt-get install docker.io` (or https://docs.docker.com/engine/install/) "
    "on Linux, then run flightcheck again"
)
_START = (
    "start it (open Docker Desktop, or `sudo systemctl start docker` on Linux), "
    "or point DOCKER_HOST / DOCKER_CONTEXT at a running engine"
)
# Go's architecture names, as Docker prints them, and QEMU's for binfmt_misc.
_QEMU_NAMES = {
    "amd64": "x86_64",
    "arm64": "aarch64",
    "arm": "arm",
    "386": "i386",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}
_BINFMT = Path("/proc/sys/fs/binfmt_misc")


def inputs(config: RayConfig) -> list[Input]:
    return [
        env("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG"),
        program("docker"),
        config_values(platform=config.image.platform),
    ]


def run(ctx: Context, config: RayConfig) -> None:
    docker = shutil.which("docker")
    if docker is None:
        raise CheckFailed(f"The docker command is not on PATH: {_INSTALL}")
    server = engine_version(docker)
    native = f"{server.get('Os', '?')}/{server.get('Arch', '?')}"
    ctx.ok(f"Docker Engine {server.get('Version', '?')} ({native})")
    info = _docker_json(docker, "info")
    _check_platform(ctx, config.image.platform, native, info)
    _report_disk(ctx, docker, info)


def engine_version(docker: str) -> dict[str, Any]:
    """The engine's ``docker version`` section; ``CheckFailed`` when it is down."""
    server = _docker_json(docker, "version", "{{json .Server}}")
    if not isinstance(server, dict) or not server:
        raise CheckFailed("The Docker engine gave no version: " + _START)
    return server


def _docker_json(docker: str, command: str, form: str = "{{json .}}") -> Any:
    try:
        done = subprocess.run(
            [docker, command, "--format", form],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CheckFailed(
            f"The Docker engine did not answer within {COMMAND_TIMEOUT_S}s: {_START}"
        ) from None
    if done.returncode != 0 or done.stdout.strip() in ("", "null"):
        raise CheckFailed(not_running(short_error(done.stderr)))
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        raise CheckFailed(
            f"`docker {command}` printed something unexpected: "
            f"{short_error(done.stdout)}"
        ) from None


def not_running(error: str) -> str:
    """The failure for an engine the CLI cannot reach, with ``error`` and the fix."""
    if "permission denied" in error.lower():
        return (
            f"This user may not use the Docker engine ({error}): add it to the "
            "docker group (`sudo usermod -aG docker $USER`, then log in again)"
        )
    return f"The Docker engine is not running or not reachable ({error}): {_START}"


def short_error(text: str, limit: int = 200) -> str:
    """The first non-empty line of a command's error output, shortened."""
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[: limit - 1] + "…"
    return "no error message"


def _check_platform(
    ctx: Context, wanted: str, native: str, info: dict[str, Any]
) -> None:
    parts = wanted.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise CheckFailed(
            f"image.platform in flightcheck.toml must look like linux/amd64, "
            f"not {wanted!r}"
        )
    want_os, want_arch = parts[0], parts[1]
    have_os, have_arch = native.split("/")
    if want_os != have_os:
        ctx.fail(
            f"The engine builds {have_os} images, the project wants {wanted}: "
            f"switch the engine to {want_os} containers or change image.platform "
            "in flightcheck.toml"
        )
    elif want_arch == have_arch:
        ctx.ok(f"Build platform {wanted} is the engine's own")
    elif _emulates(want_arch, info):
        ctx.ok(f"Build platform {wanted} runs emulated on this {native} engine")
    else:
        # A Dockerfile with no RUN step builds for any architecture without
        # emulation, so a missing emulator is a warning; check 8 fails if the
        # build does.
        ctx.warn(
            f"Build platform {wanted} differs from the engine's {native} and no "
            f"emulator for {want_arch} was found: RUN steps will fail; install "
            f"QEMU (`docker run --privileged --rm tonistiigi/binfmt --install "
            f"{want_arch}`) or build on a {wanted} machine"
        )


def _emulates(arch: str, info: dict[str, Any]) -> bool:
    """Whether the engine can run ``arch`` binaries (QEMU binfmt, Docker Desktop)."""
    if "Docker Desktop" in str(info.get("OperatingSystem", "")):
        return True
    qemu = _QEMU_NAMES.get(arch)
    if qemu is None or not _is_local(info):
        return False
    return (_BINFMT / f"qemu-{qemu}").exists()


def _report_disk(ctx: Context, docker: str, info: dict[str, Any]) -> None:
    root = str(info.get("DockerRootDir", ""))
    endpoint = _endpoint(docker)
    if not root or not _is_local(info) or not endpoint.startswith("unix://"):
        ctx.info(
            f"Free disk for images not measured: the engine at {endpoint or '?'} is "
            "not on this machine (see `docker system df` there)"
        )
        return
    try:
        free = shutil.disk_usage(root).free / _GIB
    except OSError as exc:
        ctx.info(f"Free disk for images not measured at {root}: {exc.strerror}")
        return
    level, text = disk_verdict(free, root)
    (ctx.warn if level is Level.WARN else ctx.ok)(text)


def disk_verdict(free_gib: float, root: str) -> tuple[Level, str]:
    """The line for ``free_gib`` free under the engine's data root."""
    if free_gib < LOW_DISK_GIB:
        return Level.WARN, (
            f"Only {free_gib:.1f} GiB free for images at {root} (under "
            f"{LOW_DISK_GIB} GiB): free space with `docker system prune` or "
            "enlarge that disk"
        )
    return Level.PASS, f"Free disk for images: {free_gib:.1f} GiB at {root}"


def _is_local(info: dict[str, Any]) -> bool:
    # A virtual machine's engine (Docker Desktop, colima) also listens on a
    # local socket, but its data root is on the machine's own disk.
    return info.get("Name") == socket.gethostname() and os.path.isdir(
        str(info.get("DockerRootDir", ""))
    )


def _endpoint(docker: str) -> str:
    """Where the CLI sends requests: DOCKER_HOST, else the current context's host."""
    try:
        done = subprocess.run(
            [docker, "context", "inspect", "--format", "{{.Endpoints.docker.Host}}"],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return os.environ.get("DOCKER_HOST", "")
    if done.returncode != 0:
        return os.environ.get("DOCKER_HOST", "")
    return done.stdout.strip()
