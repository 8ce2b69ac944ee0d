"""Check 1, AWS CLI: real CLIs picked through PATH, run by the real command."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import IN_CI, Project, use_only
from flightcheck import CheckFailed
from flightcheck.ray.checks import awscli

#: Where a CI machine may point the tests at an AWS CLI v1 of its own.
V1_VARIABLE = "FLIGHTCHECK_TEST_AWS_CLI_V1"


@functools.lru_cache(maxsize=2)
def real_aws(major: int) -> str | None:
    """An installed AWS CLI of this major version that runs without a shim."""
    for candidate in _candidates():
        done = subprocess.run(
            [candidate, "--version"], capture_output=True, text=True, timeout=60
        )
        try:
            version = awscli.parse_version(done.stdout + done.stderr)
        except CheckFailed:
            continue
        if awscli.as_numbers(version)[0] == major:
            return candidate
    return None


def _candidates() -> list[str]:
    found = [os.environ.get(V1_VARIABLE, "")]
    found += [
        str(Path(folder) / "aws")
        for folder in os.environ.get("PATH", "").split(os.pathsep)
        if folder and "shims" not in Path(folder).parts
    ]
    found.append("/usr/bin/aws")
    # pyenv's shim needs pyenv on PATH; the program behind it does not.
    pyenv = shutil.which("pyenv")
    if pyenv:
        done = subprocess.run([pyenv, "which", "aws"], capture_output=True, text=True)
        found.append(done.stdout.strip())
    return [path for path in dict.fromkeys(found) if path and os.access(path, os.X_OK)]


def need_aws(major: int) -> str:
    """A real AWS CLI of this major version; its absence fails the test in CI."""
    found = real_aws(major)
    if found is None:
        message = (
            f"no AWS CLI v{major} on this machine: v2 is Debian's awscli "
            f"(scripts/services.sh), v1 is pip's awscli (or set {V1_VARIABLE})"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def any_aws() -> str:
    """A real AWS CLI of either major version."""
    return real_aws(2) or need_aws(1)


def put_on_path(project: Project, program: str | None) -> Path:
    """Make PATH one directory holding ``program`` as ``aws`` (or nothing)."""
    folder = project.root.parent / "bin"
    folder.mkdir(exist_ok=True)
    link = folder / "aws"
    link.unlink(missing_ok=True)
    if program is not None:
        link.symlink_to(program)
    project.env["PATH"] = str(folder)
    return link


def set_minimum(project: Project, version: str) -> None:
    with (project.root / "flightcheck.toml").open("a") as toml:
        toml.write(f'\n[aws]\ncli_min_version = "{version}"\n')


@pytest.fixture
def cli_project(ray_project: Project) -> Project:
    use_only(ray_project, "awscli")
    return ray_project


def test_v2_passes_without_warning(cli_project: Project) -> None:
    put_on_path(cli_project, need_aws(2))

    result = cli_project.run()

    assert result.returncode == 0, result
    assert "[PASS] Installed: aws-cli/2." in result.stdout
    assert "[WARN]" not in result.stdout


def test_v1_passes_with_a_warning_that_v2_is_recommended(cli_project: Project) -> None:
    put_on_path(cli_project, need_aws(1))

    result = cli_project.run()

    assert result.returncode == 0, result
    assert "[PASS] Installed: aws-cli/1." in result.stdout
    assert "[WARN] AWS CLI v1 works, but v2 is recommended" in result.stdout


def test_v1_meeting_a_configured_minimum_passes_quietly(cli_project: Project) -> None:
    put_on_path(cli_project, need_aws(1))
    set_minimum(cli_project, "1.0")

    result = cli_project.run()

    assert result.returncode == 0, result
    assert "[PASS] Installed: aws-cli/1." in result.stdout
    assert "[WARN]" not in result.stdout


def test_below_the_minimum_fails_naming_it(cli_project: Project) -> None:
    put_on_path(cli_project, any_aws())
    set_minimum(cli_project, "99.0")

    result = cli_project.run()

    assert result.returncode == 1, result
    assert re.search(
        r"\[FAIL\] aws-cli/[12]\.[\d.]+ is older than 99\.0,", result.stdout
    )
    assert "cli_min_version under [aws] in flightcheck.toml" in result.stdout
    assert awscli.INSTALL_URL in result.stdout


def test_a_minimum_that_is_not_a_version_fails(cli_project: Project) -> None:
    put_on_path(cli_project, any_aws())
    set_minimum(cli_project, "latest")

    result = cli_project.run()

    assert result.returncode == 1, result
    assert "[FAIL] cli_min_version = 'latest' under [aws]" in result.stdout


def test_missing_cli_fails_with_install_instructions(cli_project: Project) -> None:
    put_on_path(cli_project, None)

    result = cli_project.run()

    assert result.returncode == 1, result
    assert "[FAIL] aws is not on PATH: install AWS CLI v2" in result.stdout
    assert awscli.INSTALL_URL in result.stdout


def test_unreadable_version_output_fails_quoting_it(cli_project: Project) -> None:
    # A real program that answers `--version` with something else entirely.
    echo = shutil.which("echo")
    assert echo is not None
    put_on_path(cli_project, echo)

    result = cli_project.run()

    assert result.returncode == 1, result
    # GNU echo prints its own version; others echo the argument.
    assert re.search(
        r"\[FAIL\] cannot read the version from `aws --version`, which printed "
        r"'(echo \(GNU coreutils\)|--version)[^']*': reinstall the AWS CLI",
        result.stdout,
    )


def test_another_cli_on_path_reruns_the_check(cli_project: Project) -> None:
    link = put_on_path(cli_project, any_aws())
    assert cli_project.run().returncode == 0
    assert "1 skipped" in cli_project.run().stdout

    link.unlink()
    link.symlink_to(shutil.which("echo") or "/bin/echo")
    result = cli_project.run()

    assert "inputs changed: program aws" in result.stdout
    assert result.returncode == 1, result


def test_a_new_minimum_reruns_the_check(cli_project: Project) -> None:
    put_on_path(cli_project, any_aws())
    assert cli_project.run().returncode == 0

    set_minimum(cli_project, "99.0")
    result = cli_project.run()

    assert "inputs changed: config cli_min_version" in result.stdout
    assert result.returncode == 1, result


@pytest.mark.parametrize(
    ("output", "version"),
    [
        (
            "aws-cli/2.31.15 Python/3.13.7 Linux/6.8.0 exe/x86_64.ubuntu.24\n",
            "2.31.15",
        ),
        ("aws-cli/1.45.11 Python/3.11.7 Linux/6.1 botocore/1.43.11\n", "1.45.11"),
        # Old v1 printed to standard error, which the check appends.
        ("\naws-cli/1.16.0 Python/2.7.15 Darwin/18.0.0 botocore/1.12.0\n", "1.16.0"),
        ("aws-cli/2.0 Python/3.7.3\n", "2.0"),
    ],
)
def test_parse_version_reads_v1_and_v2_lines(output: str, version: str) -> None:
    assert awscli.parse_version(output) == version


@pytest.mark.parametrize(
    "output", ["", "command not found\n", "aws-cli version two\n", "awscli/2.1"]
)
def test_parse_version_rejects_anything_else(output: str) -> None:
    with pytest.raises(CheckFailed, match="cannot read the version"):
        awscli.parse_version(output)


def test_parse_version_quotes_what_it_could_not_read() -> None:
    with pytest.raises(CheckFailed, match="printed 'command not found'"):
        awscli.parse_version("command not found\n")
    with pytest.raises(CheckFailed, match="printed nothing"):
        awscli.parse_version("\n")


def test_versions_compare_by_number() -> None:
    assert awscli.as_numbers("2.9.19") < awscli.as_numbers("2.31.15")
    assert awscli.as_numbers("1.45.11") < (2,)
    assert awscli.as_numbers("99.0") > awscli.as_numbers("2.31.15")
