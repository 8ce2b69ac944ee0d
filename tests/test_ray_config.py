"""``flightcheck.toml``: defaults for the spec's layout; one line for a mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import Project
from flightcheck.errors import ConfigError
from flightcheck.ray import config
from test_errors import assert_one_line_error


def load(tmp_path: Path, text: str | None) -> config.RayConfig:
    if text is not None:
        (tmp_path / "flightcheck.toml").write_text(text)
    config.load.cache_clear()
    return config.load(tmp_path)


def test_a_project_without_a_file_gets_the_spec_layout(tmp_path: Path) -> None:
    loaded = load(tmp_path, None)

    assert loaded.cloudformation.template == "2_cloudformation/template.yaml"
    assert loaded.cloudformation.parameters == (
        "2_cloudformation/cloudformation-parameters.json"
    )
    assert loaded.cloudformation.bucket_parameter == "S3BucketName"
    assert loaded.image.repository == "ray-pipeline"
    assert loaded.image.platform == "linux/amd64"
    assert dict(loaded.secrets) == {
        "OPENAI_API_KEY": "ray-pipeline/openai-api-key",
        "PINECONE_API_KEY": "ray-pipeline/pinecone-api-key",
    }


def test_the_project_name_prefixes_repository_and_secrets(tmp_path: Path) -> None:
    loaded = load(tmp_path, '[project]\nname = "rag"\nregion = "eu-west-1"\n')

    assert loaded.region == "eu-west-1"
    assert loaded.image.repository == "rag"
    assert loaded.secrets["OPENAI_API_KEY"] == "rag/openai-api-key"


def test_every_documented_key_is_read(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "t.yaml").write_text("Resources: {}\n")
    (tmp_path / "infra" / "p.json").write_text("[]\n")
    (tmp_path / "Dockerfile.ray").write_text("FROM scratch\n")
    loaded = load(
        tmp_path,
        """
[project]
name = "ray-pipeline"
[cloudformation]
template = "infra/t.yaml"
parameters = "infra/p.json"
bucket_parameter = "DataBucket"
[image]
context = "."
dockerfile = "Dockerfile.ray"
repository = "images/ray"
platform = "linux/arm64"
registry = "127.0.0.1:5000"
build_args = { RAY_VERSION = "2.40.0" }
[secrets]
OPENAI_API_KEY = "team/openai"
[aws]
cli_min_version = "2.15.0"
extra_permissions = ["bedrock:InvokeModel"]
[ray]
head_instance_type = "m6i.large"
worker_instance_type = "g5.xlarge"
max_workers = 8
""",
    )

    assert loaded.cloudformation.bucket_parameter == "DataBucket"
    assert loaded.image.repository == "images/ray"
    assert loaded.image.registry == "127.0.0.1:5000"
    assert dict(loaded.image.build_args) == {"RAY_VERSION": "2.40.0"}
    assert dict(loaded.secrets) == {"OPENAI_API_KEY": "team/openai"}
    assert loaded.aws.extra_permissions == ("bedrock:InvokeModel",)
    assert loaded.ray.max_workers == 8


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[dockr]\n", "unknown section [dockr]"),
        ("[image]\nplatfrom = 'linux/amd64'\n", "unknown key image.platfrom"),
        ("[project]\nowner = 'x'\n", "unknown key project.owner"),
        ("[ray]\nmax_workers = 'four'\n", "ray.max_workers must be a whole number"),
        ("[ray]\nmax_workers = true\n", "ray.max_workers must be a whole number"),
        (
            "[image]\nbuild_args = { A = 1 }\n",
            "image.build_args must be a table of strings",
        ),
        ("[aws]\nextra_permissions = 's3:*'\n", "aws.extra_permissions must be a list"),
        ("[secrets]\nOPENAI_API_KEY = 3\n", "secrets.OPENAI_API_KEY must be a string"),
        ("image = 'x'\n", "image must be a table"),
        (
            "[cloudformation]\ntemplate = 'missing.yaml'\n",
            "cloudformation.template names missing.yaml, which does not exist",
        ),
    ],
)
def test_mistakes_name_the_key_and_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, text)

    assert message in str(raised.value)
    assert str(tmp_path / "flightcheck.toml") in str(raised.value)


def test_a_config_mistake_stops_the_run_with_one_line(ray_project: Project) -> None:
    with (ray_project.root / "flightcheck.toml").open("a") as toml:
        toml.write("\n[dockr]\nplatform = 'linux/amd64'\n")

    result = ray_project.run()

    assert_one_line_error(result, "flightcheck.toml: unknown section [dockr]")
    assert not ray_project.state.exists()
