"""``flightcheck init``: a project's starting files, never overwriting one."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Result, clean_env
from flightcheck.ray import config
from flightcheck.suite import read_config

ENTRY_POINT = Path("1_prerequisites/check_prerequisites.py")
PARAMETERS = Path("2_cloudformation/cloudformation-parameters.json")
WRITTEN = (Path("flightcheck.toml"), PARAMETERS, ENTRY_POINT)

#: A suite of one check that passes, so that a run needs no AWS at all.
TINY_SUITE = """\
from flightcheck import Context, check


@check("tiny", "Tiny")
def tiny(ctx: Context) -> None:
    ctx.ok("fine")
"""


def run(*args: str, cwd: Path | None = None, python: str = "") -> Result:
    command = [*(python.split() or [sys.executable]), *args]
    done = subprocess.run(
        command,
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Result(args, done.returncode, done.stdout, done.stderr)


def init(project: Path) -> Result:
    return run("-m", "flightcheck", "init", "--project", str(project))


def test_init_writes_the_three_starting_files(tmp_path: Path) -> None:
    result = init(tmp_path)

    assert result.returncode == 0, result
    for path in WRITTEN:
        assert f"created                {path}\n" in result.stdout
    assert "Next: give S3BucketName a bucket name of your own" in result.stdout
    parameters = json.loads((tmp_path / PARAMETERS).read_text())
    assert parameters == [
        {
            "ParameterKey": "S3BucketName",
            "ParameterValue": "REPLACE_ME-unique-bucket-name",
        }
    ]
    assert (tmp_path / ENTRY_POINT).stat().st_mode & stat.S_IXUSR


def test_the_configuration_has_the_documented_keys_and_defaults(
    tmp_path: Path,
) -> None:
    init(tmp_path)

    text = (tmp_path / "flightcheck.toml").read_text()
    raw = read_config(tmp_path)
    assert raw["project"] == {"name": "ray-pipeline"}
    assert raw["cloudformation"] == {"bucket_parameter": "S3BucketName"}
    assert raw["image"] == {"platform": "linux/amd64", "registry": ""}
    assert raw["secrets"] == {
        "OPENAI_API_KEY": "ray-pipeline/openai-api-key",
        "PINECONE_API_KEY": "ray-pipeline/pinecone-api-key",
    }
    # Keys naming files stay commented: a path set in the file must exist.
    for line in (
        '# region = "us-east-1"',
        '# template = "2_cloudformation/template.yaml"',
        '# parameters = "2_cloudformation/cloudformation-parameters.json"',
        '# context = "."',
        '# dockerfile = "Dockerfile"',
        '# repository = "ray-pipeline"',
    ):
        assert f"\n{line}\n" in text
    loaded = config.load(tmp_path)
    assert loaded.ray == config.Ray()
    assert loaded.image.repository == "ray-pipeline"


def test_a_second_init_keeps_every_file_byte_for_byte(tmp_path: Path) -> None:
    init(tmp_path)
    before = {path: (tmp_path / path).read_bytes() for path in WRITTEN}

    result = init(tmp_path)

    assert result.returncode == 0, result
    for path in WRITTEN:
        assert f"kept (already exists)  {path}\n" in result.stdout
        assert (tmp_path / path).read_bytes() == before[path]


def test_init_never_overwrites_a_file_of_the_user(tmp_path: Path) -> None:
    mine = '[{"ParameterKey": "S3BucketName", "ParameterValue": "my-bucket"}]\n'
    (tmp_path / PARAMETERS).parent.mkdir()
    (tmp_path / PARAMETERS).write_text(mine)

    result = init(tmp_path)

    assert result.returncode == 0, result
    assert f"kept (already exists)  {PARAMETERS}\n" in result.stdout
    assert "created                flightcheck.toml\n" in result.stdout
    assert (tmp_path / PARAMETERS).read_text() == mine


def test_init_without_project_uses_the_current_directory(tmp_path: Path) -> None:
    result = run("-m", "flightcheck", "init", cwd=tmp_path)

    assert result.returncode == 0, result
    assert all((tmp_path / path).is_file() for path in WRITTEN)


def test_init_in_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = init(tmp_path / "nowhere")

    assert result.returncode == 2, result
    assert result.stderr == (
        f"flightcheck: error: the project directory {tmp_path / 'nowhere'}"
        " does not exist: check --project\n"
    )
    assert not (tmp_path / "nowhere").exists()


def test_a_file_in_the_way_of_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "1_prerequisites").write_text("not a directory\n")

    result = init(tmp_path)

    assert result.returncode == 2, result
    assert result.stderr.startswith(
        f"flightcheck: error: cannot create {tmp_path / '1_prerequisites'}:"
    )
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("flag", ["--explain", "--list-checkpoints"])
def test_the_entry_point_runs_flightcheck_on_its_project(
    tmp_path: Path, flag: str
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    init(project)
    (project / "checks.py").write_text(TINY_SUITE)
    script = str(project / ENTRY_POINT)
    # From elsewhere: the script finds its project by its own path.
    ran = run(script, "--suite", str(project / "checks.py"), cwd=tmp_path)

    result = run(script, "--suite", str(project / "checks.py"), flag, cwd=tmp_path)

    assert ran.returncode == 0, ran
    assert "[ 1 ] Tiny\n  [PASS] fine\n" in ran.stdout
    state = project / "1_prerequisites" / ".checkpoints"
    assert (state / "latest_checkpoint.json").is_file()
    assert not (project / ".checkpoints").exists()
    assert result.returncode == 0, result
    if flag == "--explain":
        assert "[EXPLAIN] Checkpoint from " in result.stdout
        assert f"{state / 'latest_checkpoint.json'}\n" in result.stdout
        assert "[ 1 ] Tiny - will skip: passed " in result.stdout
    else:
        assert "  CHECKPOINT HISTORY" in result.stdout
        assert "1. " in result.stdout and "Results: 1 passed, 0 failed" in result.stdout


def test_the_entry_point_passes_the_exit_code_through(tmp_path: Path) -> None:
    init(tmp_path)
    failing = tmp_path / "checks.py"
    failing.write_text(TINY_SUITE.replace('ctx.ok("fine")', 'ctx.fail("broken")'))

    result = run(str(tmp_path / ENTRY_POINT), "--suite", str(failing))

    assert result.returncode == 1, result
    assert "  [FAIL] broken\n" in result.stdout


def test_the_entry_point_without_flightcheck_says_how_to_install(
    tmp_path: Path,
) -> None:
    init(tmp_path)

    # -S: no site-packages, so no flightcheck.
    result = run(
        str(tmp_path / ENTRY_POINT), "--explain", python=f"{sys.executable} -S"
    )

    assert result.returncode == 2, result
    assert result.stderr == (
        "check_prerequisites.py needs flightcheck: pip install flightcheck\n"
    )
    assert os.listdir(tmp_path / "1_prerequisites") == ["check_prerequisites.py"]
