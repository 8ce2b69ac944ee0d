"""Check 4, Docker: the real engine, a dead socket, no CLI, and the platform."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import Docker, Project, use_only
from flightcheck.ray.checks import docker_engine


@pytest.fixture
def project(ray_project: Project) -> Project:
    use_only(ray_project, "docker_engine")
    return ray_project


def set_platform(project: Project, platform: str) -> None:
    toml = project.root / "flightcheck.toml"
    text = toml.read_text().replace(
        'platform = "linux/amd64"', f'platform = "{platform}"'
    )
    toml.write_text(text)


def test_a_running_engine_passes_with_version_platform_and_disk(
    project: Project, docker_engine: Docker
) -> None:
    project.env["DOCKER_HOST"] = docker_engine.host

    result = project.run()

    assert result.returncode == 0, result
    assert re.search(
        r"\[PASS\] Docker Engine 2\d\.\d+\.\d+\S* \(linux/amd64\)\n", (result.stdout)
    ), result
    assert "  [PASS] Build platform linux/amd64 is the engine's own\n" in result.stdout
    disk = re.search(
        r"\[PASS\] Free disk for images: ([\d.]+) GiB at (\S+)\n", (result.stdout)
    )
    assert disk is not None, result
    assert Path(disk.group(2)).is_dir()


def test_an_engine_that_does_not_answer_fails_plainly(
    project: Project, docker_engine: Docker
) -> None:
    project.env["DOCKER_HOST"] = "unix:///nonexistent.sock"

    result = project.run()

    assert result.returncode == 1, result
    failed = [line for line in result.stdout.splitlines() if "[FAIL]" in line]
    assert len(failed) == 1, result
    assert "The Docker engine is not running or not reachable" in failed[0]
    assert "unix:///nonexistent.sock" in failed[0]  # the CLI's own short error
    assert "sudo systemctl start docker" in failed[0]
    assert "DOCKER_HOST" in failed[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_a_missing_docker_cli_fails_with_install_instructions(
    project: Project, tmp_path: Path
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    project.env["PATH"] = str(empty)

    result = project.run()

    assert result.returncode == 1, result
    assert "[FAIL] The docker command is not on PATH: install Docker" in result.stdout
    assert "docs.docker.com/engine/install" in result.stdout


def test_another_architecture_warns_unless_an_emulator_is_registered(
    project: Project, docker_engine: Docker
) -> None:
    project.env["DOCKER_HOST"] = docker_engine.host
    set_platform(project, "linux/arm64")

    result = project.run()

    assert result.returncode == 0, result
    if Path("/proc/sys/fs/binfmt_misc/qemu-aarch64").exists():
        assert "[PASS] Build platform linux/arm64 runs emulated" in result.stdout
    else:
        assert "[WARN] Build platform linux/arm64 differs from the engine's" in (
            result.stdout
        )
        assert "tonistiigi/binfmt --install arm64" in result.stdout


def test_another_operating_system_fails(
    project: Project, docker_engine: Docker
) -> None:
    project.env["DOCKER_HOST"] = docker_engine.host
    set_platform(project, "windows/amd64")

    result = project.run()

    assert result.returncode == 1, result
    assert (
        "[FAIL] The engine builds linux images, the project wants windows/amd64: "
        "switch the engine to windows containers or change image.platform"
    ) in result.stdout


def test_a_malformed_platform_names_the_key(
    project: Project, docker_engine: Docker
) -> None:
    project.env["DOCKER_HOST"] = docker_engine.host
    set_platform(project, "amd64")

    result = project.run()

    assert result.returncode == 1, result
    assert (
        "[FAIL] image.platform in flightcheck.toml must look like linux/amd64, "
        "not 'amd64'"
    ) in result.stdout


def test_fingerprint_covers_the_engine_address_and_the_platform(
    project: Project, docker_engine: Docker
) -> None:
    project.env["DOCKER_HOST"] = docker_engine.host
    assert project.run().returncode == 0
    assert "will skip" in project.run("--explain").stdout

    project.env["DOCKER_HOST"] = docker_engine.host + "?"
    assert "will run: inputs changed: $DOCKER_HOST" in project.run("--explain").stdout

    project.env["DOCKER_HOST"] = docker_engine.host
    set_platform(project, "linux/arm64")
    assert "inputs changed: config platform" in project.run("--explain").stdout


@pytest.mark.parametrize(
    ("free_gib", "level"),
    [(3.2, "WARN"), (docker_engine.LOW_DISK_GIB - 0.01, "WARN"), (52.0, "PASS")],
)
def test_low_disk_is_a_warning(free_gib: float, level: str) -> None:
    found, text = docker_engine.disk_verdict(free_gib, "/var/lib/docker")

    assert found.value == level
    assert f"{free_gib:.1f} GiB" in text
    assert "/var/lib/docker" in text
    if level == "WARN":
        assert "docker system prune" in text


def test_permission_denied_on_the_socket_says_how_to_join_the_group() -> None:
    error = "permission denied while trying to connect to the Docker daemon socket"

    assert "sudo usermod -aG docker $USER" in docker_engine.not_running(error)
