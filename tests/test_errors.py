"""A user's mistake gets one line and exit code 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Protocol

import pytest

from conftest import Project, clean_env
from flightcheck.errors import ExitCode


class Finished(Protocol):
    returncode: int
    stdout: str
    stderr: str


def assert_one_line_error(result: Finished, *fragments: str) -> None:
    assert result.returncode == ExitCode.USAGE, result
    stderr = result.stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, result
    assert lines[0].startswith("flightcheck: error: "), result
    for fragment in fragments:
        assert fragment in lines[0], result
    assert "Traceback" not in result.stdout + stderr


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--from-check", "11"], ["--from-check 11 is out of range", "1..10"]),
        (["--from-check", "0"], ["0 is less than 1"]),
        (["--from-check", "seven"], ["'seven' is not a whole number"]),
        (["--full", "--from-check", "3"], ["not allowed with argument"]),
        (["--keep-logs", "0"], ["0 is less than 1"]),
        (["--bogus"], ["unrecognized arguments: --bogus"]),
        (["-l", "--explain"], ["do not go together"]),
        (["--suite", "no/such/suite.py"], ["suite file", "does not exist"]),
        (
            ["--suite", "no_such_module_xyz"],
            ["no suite module named 'no_such_module_xyz'"],
        ),
    ],
)
def test_bad_command_lines(
    project: Project, args: list[str], fragments: list[str]
) -> None:
    assert_one_line_error(project.run(*args), *fragments)
    assert not (project.root / "ran.txt").exists()


def test_missing_project_directory(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flightcheck", "--project", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )

    assert_one_line_error(done, "the project directory", "does not exist")


SUITE_MISTAKES = {
    "syntax": ("def broken(:\n", "syntax error"),
    "raises": ("raise ValueError('no config')\n", "ValueError: no config"),
    "empty": ("x = 1\n", "declares no checks"),
    "duplicate": (
        "from flightcheck import check\n"
        "@check('a', 'A')\ndef a(ctx): pass\n"
        "@check('a', 'A again')\ndef b(ctx): pass\n",
        "check id 'a' is declared twice",
    ),
    "unknown need": (
        "from flightcheck import check\n"
        "@check('a', 'A', needs=['z'])\ndef a(ctx): pass\n",
        "needs 'z', which is not declared before it",
    ),
    "bad ttl": (
        "from flightcheck import check\n"
        "@check('a', 'A', ttl='soon')\ndef a(ctx): pass\n",
        "ttl of check 'a' 'soon' is not a duration",
    ),
    "bad id": (
        "from flightcheck import check\n@check('Bad Id', 'A')\ndef a(ctx): pass\n",
        "check id 'Bad Id' may hold only",
    ),
}


@pytest.mark.parametrize(
    ("source", "fragment"), SUITE_MISTAKES.values(), ids=SUITE_MISTAKES.keys()
)
def test_mistakes_in_a_suite_file(project: Project, source: str, fragment: str) -> None:
    (project.root / "flightcheck_checks.py").write_text(source)

    result = project.run()

    assert_one_line_error(result, "flightcheck_checks.py", fragment)


def test_invalid_flightcheck_toml(project: Project) -> None:
    (project.root / "flightcheck.toml").write_text("[project\nsuite = 1\n")

    assert_one_line_error(project.run(), "flightcheck.toml is not valid TOML")


def test_project_setting_chooses_the_suite(project: Project) -> None:
    suite = project.root / "flightcheck_checks.py"
    suite.rename(project.root / "deploy_checks.py")
    (project.root / "flightcheck.toml").write_text(
        '[project]\nsuite = "deploy_checks.py"\n'
    )

    result = project.run()

    assert result.returncode == 0, result
    assert len(project.ran()) == 10


def test_builtin_suite_runs_when_the_project_has_none(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flightcheck", "--project", str(tmp_path), "--explain"],
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "[ 1 ] AWS CLI - will run: never ran" in done.stdout
    assert "[ 7 ] S3 Bucket Name - will run: never ran" in done.stdout
    assert "[10 ] CloudFormation Template - will run: never ran" in done.stdout
    assert "10 of 10 checks will run." in done.stdout


def test_check_timeout_fails_the_check_and_the_run_goes_on(project: Project) -> None:
    suite = project.root / "flightcheck_checks.py"
    suite.write_text(
        suite.read_text().replace(
            '@check("docker", "Docker")', '@check("docker", "Docker", timeout="1s")'
        )
    )
    project.gate("docker", "hang")

    result = project.run()

    assert result.returncode == 1, result
    assert "  [FAIL] Timed out after 1.0s" in result.stdout
    assert "image" not in project.ran()
    assert "[BLOCKED] needs check 4 (Docker), which failed" in result.stdout


def test_state_dir_that_is_a_file(project: Project) -> None:
    blocker = project.root / "not-a-dir"
    blocker.write_text("")

    result = project.run("--state-dir", str(blocker))

    assert_one_line_error(result, "cannot create the state directory")
