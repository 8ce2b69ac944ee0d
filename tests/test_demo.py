"""The README's main job, ``flightcheck demo``, and the example project it runs."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Result, clean_env
from flightcheck.commands.demo import set_parameter
from flightcheck.commands.init import ENTRY_POINT, FILES
from flightcheck.ray import config

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "ray-pipeline"
TEMPLATE = EXAMPLE / "2_cloudformation" / "template.yaml"
PARAMETERS = EXAMPLE / "2_cloudformation" / "cloudformation-parameters.json"


def demo(*args: str, env: dict[str, str], python: list[str] | None = None) -> Result:
    command = [*(python or [sys.executable]), "-m", "flightcheck", "demo", *args]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    return Result(("demo", *args), done.returncode, done.stdout, done.stderr)


def no_docker_env(tmp_path: Path) -> dict[str, str]:
    """Settings of the user's that the demo must not follow, and no Docker engine."""
    return clean_env(
        DOCKER_HOST=f"unix://{tmp_path / 'no-docker.sock'}",
        AWS_PROFILE="someone-real",
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
        AWS_ACCESS_KEY_ID="users-own-access-key-id",
        OPENAI_API_KEY="sk-the-users-own-key-000111",
    )


def section(run: str, number: int) -> str:
    """The lines of check ``number`` in one run's output."""
    start = run.index(f"[{number:2d} ] ")
    end = run.find("\n[", run.index("\n", start))
    return run[start:end]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Result:
    return demo(env=no_docker_env(tmp_path_factory.mktemp("demo")))


def test_the_first_run_fails_at_the_placeholder_bucket_name(demo_run: Result) -> None:
    first = demo_run.stdout.split("[DEMO] Second run")[0]

    assert "[MODE] No checkpoint found - running all checks" in first
    check7 = section(first, 7)
    assert check7.startswith("[ 7 ] S3 Bucket Name\n"), demo_run
    failures = [line for line in check7.splitlines() if line.startswith("  [FAIL] ")]
    assert any("S3BucketName" in line and "placeholder" in line for line in failures), (
        demo_run
    )
    assert "2_cloudformation/cloudformation-parameters.json" in check7, demo_run


def test_the_second_run_resumes_and_passes_the_fixed_bucket_name(
    demo_run: Result,
) -> None:
    fixed = re.search(
        r"\[DEMO\] Fixed 2_cloudformation/cloudformation-parameters\.json:"
        r" S3BucketName = (ray-pipeline-demo-[0-9a-f]{8})\n",
        demo_run.stdout,
    )
    assert fixed is not None, demo_run
    second = demo_run.stdout.split("[DEMO] Second run")[1]

    assert "[MODE] Checkpoint found from " in second, demo_run
    assert re.search(r"\n       Resuming from: Check \d+\n", second), demo_run
    for number, name in [
        (1, "AWS CLI"),
        (2, "AWS Credentials"),
        (3, "AWS Region"),
        (5, "AWS Permissions"),
        (6, "API Keys → Secrets Manager"),
    ]:
        assert (
            f"[{number:2d} ] {name} - Skipped (completed in previous run)\n" in second
        ), demo_run
    check7 = section(second, 7)
    assert "  [INFO] Re-running: failed last time" in check7, demo_run
    assert f"  [PASS] S3BucketName: {fixed.group(1)}" in check7, demo_run
    assert "[FAIL]" not in check7, demo_run
    assert "[INFO] Checkpoint saved: Check 7 (S3 Bucket Name) - PASS" in second


def test_without_docker_checks_4_and_8_say_so_and_decide_the_exit_code(
    demo_run: Result,
) -> None:
    second = demo_run.stdout.split("[DEMO] Second run")[1]

    assert "Docker engine" in section(second, 4), demo_run
    assert "  [FAIL] " in section(second, 4), demo_run
    assert "  [BLOCKED] needs check 4 (Docker), which failed" in section(second, 8)
    assert "[DEMO] Still not passing, as their lines say: 4 (Docker) FAIL" in second
    assert demo_run.returncode == 1, demo_run


def test_the_demo_ends_with_the_history_of_both_runs(demo_run: Result) -> None:
    history = demo_run.stdout.split("(flightcheck --list-checkpoints):")[1]

    assert "  CHECKPOINT HISTORY" in history, demo_run
    assert "\n1. " in history and "\n2. " in history, demo_run
    assert "\n3. " not in history


def test_the_demo_uses_only_the_emulator_and_fake_keys(demo_run: Result) -> None:
    assert "[DEMO] AWS is a local emulator at http://127.0.0.1:" in demo_run.stdout
    # The user's profile, endpoint and keys are set, and ignored.
    assert "  [PASS] Account: 123456789012" in demo_run.stdout, demo_run
    everything = demo_run.stdout + demo_run.stderr
    assert "someone-real" not in everything
    assert "sk-the-users-own-key" not in everything
    assert "sk-demo-not-a-real-key" not in everything
    assert demo_run.stderr == "", demo_run


def test_the_demo_removes_its_project(demo_run: Result) -> None:
    copied = re.search(
        r"\[DEMO\] The example project, copied to (\S+)\n", demo_run.stdout
    )
    assert copied is not None, demo_run
    assert not Path(copied.group(1)).exists()


def test_demo_keep_leaves_the_fixed_project(tmp_path: Path) -> None:
    result = demo("--keep", env=no_docker_env(tmp_path))

    kept = re.search(r"\[DEMO\] Kept the project at (\S+) ", result.stdout)
    assert kept is not None, result
    project = Path(kept.group(1))
    try:
        parameters = json.loads(
            (project / "2_cloudformation/cloudformation-parameters.json").read_text()
        )
        assert parameters[0]["ParameterValue"].startswith("ray-pipeline-demo-")
        assert (project / ".checkpoints" / "latest_checkpoint.json").is_file()
    finally:
        shutil.rmtree(project.parent)


def test_demo_without_the_emulator_says_how_to_install_it(tmp_path: Path) -> None:
    # A None entry in sys.modules makes `import moto` fail as if not installed.
    python = [
        sys.executable,
        "-c",
        "import sys; sys.modules['moto'] = None;"
        " from flightcheck.cli import main; sys.exit(main(sys.argv[1:]))",
    ]

    done = subprocess.run(
        [*python, "demo"], env=clean_env(), capture_output=True, text=True, check=False
    )

    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.endswith("pip install 'flightcheck[demo]'\n")
    assert done.stderr.count("\n") == 1
    assert done.stdout == ""


def test_demo_outside_a_source_tree_says_so(tmp_path: Path) -> None:
    package = Path(config.__file__).resolve().parents[1]
    shutil.copytree(package, tmp_path / "src" / "flightcheck")
    env = clean_env(PYTHONPATH=str(tmp_path / "src"))

    result = demo(env=env)

    assert result.returncode == 2, result
    assert result.stderr == (
        "flightcheck: error: the example project examples/ray-pipeline is not beside"
        f" this installation ({tmp_path}): run the demo from a clone of flightcheck"
        " (pip install -e .)\n"
    )


# --- The example project ----------------------------------------------------


def test_the_example_template_passes_cfn_lint() -> None:
    from cfnlint.api import ManualArgs, lint_file

    everything = ManualArgs(
        include_checks=["I"], regions=["us-east-1", "eu-west-1", "ap-southeast-2"]
    )

    assert lint_file(TEMPLATE, config=everything) == []


def test_the_example_parameters_fit_the_template_and_the_configuration() -> None:
    from cfnlint.decode import cfn_yaml

    declared = cfn_yaml.load(str(TEMPLATE))["Parameters"]
    given = {
        entry["ParameterKey"]: entry["ParameterValue"]
        for entry in json.loads(PARAMETERS.read_text())
    }
    settings = config.load(EXAMPLE)

    assert set(given) <= set(declared)
    assert {key for key, spec in declared.items() if "Default" not in spec} == {
        "S3BucketName"
    }
    assert given["S3BucketName"] == "REPLACE_ME-unique-bucket-name"
    assert given["HeadInstanceType"] == settings.ray.head_instance_type
    assert given["WorkerInstanceType"] == settings.ray.worker_instance_type
    assert given["MaxWorkers"] == str(settings.ray.max_workers)
    assert declared["OpenAiSecretName"]["Default"] == settings.secrets["OPENAI_API_KEY"]
    assert (
        declared["PineconeSecretName"]["Default"]
        == settings.secrets["PINECONE_API_KEY"]
    )
    assert declared["ImageRepository"]["Default"] == settings.image.repository


def test_the_example_entry_point_is_the_one_init_writes() -> None:
    assert (EXAMPLE / ENTRY_POINT).read_text() == FILES[ENTRY_POINT]


def test_set_parameter_changes_one_value_and_keeps_one_entry_a_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "parameters.json"
    shutil.copy(PARAMETERS, path)

    set_parameter(path, "S3BucketName", "ray-pipeline-demo-0000")

    assert path.read_text() == PARAMETERS.read_text().replace(
        "REPLACE_ME-unique-bucket-name", "ray-pipeline-demo-0000"
    )


def test_set_parameter_adds_a_missing_key(tmp_path: Path) -> None:
    path = tmp_path / "parameters.json"
    path.write_text('[{"ParameterKey": "MaxWorkers", "ParameterValue": "2"}]\n')

    set_parameter(path, "S3BucketName", "ray-pipeline-demo-0000")

    assert json.loads(path.read_text()) == [
        {"ParameterKey": "MaxWorkers", "ParameterValue": "2"},
        {"ParameterKey": "S3BucketName", "ParameterValue": "ray-pipeline-demo-0000"},
    ]
