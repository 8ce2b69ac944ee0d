"""Check 7, S3 Bucket Name: no placeholder, S3's naming rules, and usable."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import Aws, Project, use_only
from flightcheck import Level
from flightcheck.ray.checks.bucket import availability, naming_problems, placeholder

PARAMETERS = "2_cloudformation/cloudformation-parameters.json"
FIX = f"edit {PARAMETERS}: set S3BucketName to a globally unique name"
NAME = "ray-pipeline-flightcheck-test"  # the fixture's


@pytest.fixture
def ray(ray_project: Project) -> Project:
    use_only(ray_project, "bucket")
    return ray_project


def set_bucket(project: Project, name: str, key: str = "S3BucketName") -> None:
    entries = [
        {"ParameterKey": key, "ParameterValue": name},
        {"ParameterKey": "HeadInstanceType", "ParameterValue": "m5.xlarge"},
    ]
    (project.root / PARAMETERS).write_text(json.dumps(entries, indent=2))


def lines(output: str, level: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if f"[{level}]" in line]


def other_account_s3(aws: Aws) -> Any:
    """An S3 client of account 111111111111 on the emulator."""
    import boto3

    role = "arn:aws:iam::111111111111:role/other-team"
    creds = aws.client("sts").assume_role(RoleArn=role, RoleSessionName="other")
    creds = creds["Credentials"]
    return boto3.client(
        "s3",
        endpoint_url=aws.endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


# --- through the command, against the emulator ------------------------------


def test_a_free_name_passes(ray: Project) -> None:
    result = ray.run()

    assert result.returncode == 0, result
    assert f"[PASS] S3BucketName: {NAME} (available)" in result.stdout


def test_a_bucket_of_ones_own_passes(ray: Project, aws: Aws) -> None:
    aws.client("s3").create_bucket(Bucket=NAME)

    result = ray.run()

    assert result.returncode == 0, result
    assert f"[PASS] S3BucketName: {NAME} (exists in your account)" in result.stdout


def test_the_placeholder_fails_as_the_spec_shows(ray: Project) -> None:
    set_bucket(ray, "REPLACE_ME")

    result = ray.run()

    assert result.returncode == 1, result
    assert lines(result.stdout, "FAIL") == [
        f'[FAIL] S3BucketName is still the placeholder value "REPLACE_ME": {FIX}'
    ]


def test_each_broken_naming_rule_is_its_own_failure(ray: Project) -> None:
    set_bucket(ray, "Ray_Pipeline..data-")

    result = ray.run()

    assert result.returncode == 1, result
    failures = lines(result.stdout, "FAIL")
    assert len(failures) == 4, result
    assert all(
        f.startswith('[FAIL] S3BucketName "Ray_Pipeline..data-" ') for f in failures
    )
    assert all(f.endswith(FIX) for f in failures)
    text = "\n".join(failures)
    for rule in ("uppercase", "('_')", "must end with", "two dots"):
        assert rule in text


def test_a_missing_bucket_parameter_fails(ray: Project) -> None:
    set_bucket(ray, NAME, key="DataBucket")

    result = ray.run()

    assert result.returncode == 1, result
    assert f'[FAIL] {PARAMETERS} has no S3BucketName: add {{"ParameterKey": ' in (
        result.stdout
    )


def test_the_configured_parameter_is_read(ray: Project) -> None:
    set_bucket(ray, NAME, key="DataBucket")
    toml = ray.root / "flightcheck.toml"
    toml.write_text(
        toml.read_text() + '\n[cloudformation]\nbucket_parameter = "DataBucket"\n'
    )

    result = ray.run()

    assert result.returncode == 0, result
    assert f"[PASS] DataBucket: {NAME} (available)" in result.stdout


def test_an_unreadable_parameters_file_fails(ray: Project) -> None:
    (ray.root / PARAMETERS).write_text("S3BucketName=mine\n")

    result = ray.run()

    assert result.returncode == 1, result
    assert f"[FAIL] {PARAMETERS} is not valid JSON" in result.stdout


def test_a_bucket_another_account_lets_you_read_fails(ray: Project, aws: Aws) -> None:
    other_account_s3(aws).create_bucket(Bucket=NAME)

    result = ray.run()

    assert result.returncode == 1, result
    assert lines(result.stdout, "FAIL") == [
        f"[FAIL] S3BucketName: {NAME} belongs to another AWS account (it lets you "
        f"read it, but you do not own it): {FIX}"
    ]


def test_a_bucket_taken_by_another_account_fails(
    ray: Project, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_account_s3(aws).create_bucket(Bucket=NAME)
    # The emulator runs in this process; this switch makes it answer 403 to
    # another account's HeadBucket, as S3 does.
    monkeypatch.setenv("MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS", "false")

    result = ray.run()

    assert result.returncode == 1, result
    assert lines(result.stdout, "FAIL") == [
        f"[FAIL] S3BucketName: {NAME} is taken by another AWS account: {FIX}"
    ]


def test_a_bucket_in_another_region_fails_naming_it(ray: Project, aws: Aws) -> None:
    # The emulator answers 200 with the bucket's region header, as S3 does
    # once botocore has followed its 301 redirect.
    aws.client("s3").create_bucket(
        Bucket=NAME, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )

    result = ray.run()

    assert result.returncode == 1, result
    assert lines(result.stdout, "FAIL") == [
        f"[FAIL] S3BucketName: {NAME} already exists in your account in eu-west-1, "
        f"not in us-east-1: {FIX}"
    ]


def test_no_answer_from_s3_fails_with_the_reason(ray: Project) -> None:
    ray.env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
    ray.env["AWS_MAX_ATTEMPTS"] = "1"

    result = ray.run()

    assert result.returncode == 1, result
    (failure,) = lines(result.stdout, "FAIL")
    assert failure.startswith(f"[FAIL] could not ask S3 whether {NAME} is free (")
    assert "check the network and your AWS credentials" in failure


def test_fixing_the_name_runs_the_check_again(ray: Project) -> None:
    set_bucket(ray, "your-bucket-name")
    assert ray.run().returncode == 1

    set_bucket(ray, NAME)
    fixed = ray.run()
    assert f"[PASS] S3BucketName: {NAME} (available)" in fixed.stdout, fixed

    again = ray.run()
    assert again.returncode == 0
    assert "(available)" not in again.stdout, again


# --- the rules, directly -----------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "REPLACE_ME",
        "replace-with-your-bucket",
        "CHANGE_ME",
        "changeme-bucket",
        "your-bucket-name",
        "your_bucket",
        "<bucket-name>",
        "{{bucket}}",
        "${BUCKET}",
        "example-bucket",
        "my-example-data",
        "placeholder",
        "TODO",
        "ray-pipeline-todo",
        "xxx",
        "my-bucket",
        "bucket-name",
        "ray-pipeline-...",
    ],
)
def test_placeholders_are_recognised(name: str) -> None:
    assert placeholder(name) is not None


@pytest.mark.parametrize(
    "name",
    ["ray-pipeline-prudhvi-2026", "acme-ray-data", "todoist-exports", "bucket-17"],
)
def test_chosen_names_are_not_placeholders(name: str) -> None:
    assert placeholder(name) is None


@pytest.mark.parametrize(
    "name", ["abc", "a" * 63, "ray-pipeline-2026", "logs.example-co.net", "1-2-3"]
)
def test_valid_names_break_no_rule(name: str) -> None:
    assert naming_problems(name) == []


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("ab", "is 2 characters long; S3 allows 3 to 63"),
        ("a" * 64, "is 64 characters long"),
        ("Ray-data", "has uppercase letters"),
        ("ray_data", "has characters S3 does not allow ('_')"),
        ("ray data!", "has characters S3 does not allow (' ' '!')"),
        ("-ray-data", "must start with a letter or a digit"),
        (".ray-data", "must start with a letter or a digit"),
        ("ray-data-", "must end with a letter or a digit"),
        ("ray-data.", "must end with a letter or a digit"),
        ("ray..data", "has two dots in a row"),
        ("192.168.5.4", "is shaped like an IP address"),
        ("999.1.1.1", "is shaped like an IP address"),
        ("xn--ray-data", 'starts with "xn--", which S3 reserves'),
        ("sthree-ray", 'starts with "sthree-", which S3 reserves'),
        ("amzn-s3-demo-ray", 'starts with "amzn-s3-demo-", which S3 reserves'),
        ("ray-data-s3alias", 'ends with "-s3alias", which S3 reserves'),
        ("ray-data--ol-s3", 'ends with "--ol-s3", which S3 reserves'),
        ("ray-data.mrap", 'ends with ".mrap", which S3 reserves'),
        ("ray-data--x-s3", 'ends with "--x-s3", which S3 reserves'),
        ("ray-data--table-s3", 'ends with "--table-s3", which S3 reserves'),
        ("raÿdata", "has characters S3 does not allow ('ÿ')"),
    ],
)
def test_each_naming_rule_is_named(name: str, rule: str) -> None:
    problems = naming_problems(name)

    assert any(problem.startswith(rule) for problem in problems), problems


@pytest.mark.parametrize(
    ("status", "bucket_region", "owned", "level", "words"),
    [
        (404, "", None, Level.PASS, "(available)"),
        (200, "us-east-1", True, Level.PASS, "(exists in your account)"),
        (200, "", True, Level.PASS, "(exists in your account)"),
        (200, "us-east-1", False, Level.FAIL, "belongs to another AWS account"),
        (200, "us-east-1", None, Level.WARN, "could not confirm"),
        (200, "eu-west-1", True, Level.FAIL, "in your account in eu-west-1, not in"),
        (403, "", False, Level.FAIL, "taken by another AWS account"),
        (403, "eu-west-1", None, Level.FAIL, "taken by another AWS account"),
        (403, "us-east-1", True, Level.FAIL, "allow s3:ListBucket on arn:aws:s3:::b"),
        (301, "eu-west-1", None, Level.FAIL, "already exists in eu-west-1, not in"),
        (301, "", None, Level.FAIL, "already exists in another region"),
        (301, "us-east-1", True, Level.PASS, "(exists in your account)"),
        (301, "us-east-1", False, Level.FAIL, "belongs to another AWS account"),
        (400, "", None, Level.FAIL, "S3 answered HeadBucket b with HTTP 400"),
    ],
)
def test_what_head_bucket_means(
    status: int, bucket_region: str, owned: bool | None, level: Level, words: str
) -> None:
    found, text = availability("b", status, bucket_region, "us-east-1", owned)

    assert found is level
    assert words in text
