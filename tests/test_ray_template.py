"""Check 10, CloudFormation Template: parsing, cfn-lint, and the parameters file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Project, use_only
from flightcheck.ray import cfn, config
from flightcheck.ray.checks.template import parameter_problems

TEMPLATE = "2_cloudformation/template.yaml"
PARAMETERS = "2_cloudformation/cloudformation-parameters.json"

CLEAN = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  S3BucketName:
    Type: String
  HeadInstanceType:
    Type: String
    Default: m5.xlarge
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.20.0.0/16
      Tags:
        - Key: head
          Value: !Ref HeadInstanceType
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${S3BucketName}"
Outputs:
  BucketArn:
    Value: !GetAtt Bucket.Arn
"""


@pytest.fixture
def ray(ray_project: Project) -> Project:
    use_only(ray_project, "template")
    return ray_project


def write(project: Project, relative: str, text: str) -> None:
    (project.root / relative).write_text(text)


def write_parameters(project: Project, entries: object) -> None:
    write(project, PARAMETERS, json.dumps(entries))


def lines(output: str, level: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if f"[{level}]" in line]


def test_a_clean_template_with_every_value_passes(ray: Project) -> None:
    write(ray, TEMPLATE, CLEAN)

    result = ray.run()

    assert result.returncode == 0, result
    assert "[PASS] Template valid: 2 resources, 2 parameters" in result.stdout
    assert lines(result.stdout, "WARN") == [], result
    assert (
        f"[PASS] Parameters complete: 2 given in {PARAMETERS}, "
        "0 left to their defaults" in result.stdout
    )


def test_a_json_template_passes_too(ray: Project) -> None:
    body = {
        "Parameters": {"S3BucketName": {"Type": "String"}},
        "Resources": {
            "Bucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {"BucketName": {"Ref": "S3BucketName"}},
            }
        },
    }
    write(ray, TEMPLATE, json.dumps(body, indent=2))
    write_parameters(ray, [{"ParameterKey": "S3BucketName", "ParameterValue": "b"}])

    result = ray.run()

    assert result.returncode == 0, result
    assert "[PASS] Template valid: 1 resource, 1 parameter" in result.stdout


def test_cfn_lint_warnings_are_warnings(ray: Project) -> None:
    # The fixture's HeadInstanceType is declared and never used: W2001.
    result = ray.run()

    assert result.returncode == 0, result
    assert lines(result.stdout, "WARN") == [
        f"[WARN] W2001 at {TEMPLATE} line 7: Parameter HeadInstanceType not used."
    ]
    assert (
        "[PASS] Template valid: 3 resources, 2 parameters (1 cfn-lint warning)"
        in result.stdout
    )


def test_each_lint_error_is_its_own_failure(ray: Project) -> None:
    broken = CLEAN.replace(
        "      CidrBlock: 10.20.0.0/16\n",
        "      CidrBlock: 10.20.0.0/16\n      Colour: blue\n",
    ).replace("Value: !GetAtt Bucket.Arn", "Value: !GetAtt Nothing.Arn")
    write(ray, TEMPLATE, broken)

    result = ray.run()

    assert result.returncode == 1, result
    failures = lines(result.stdout, "FAIL")
    assert any(
        line.startswith(f"[FAIL] E3002 at {TEMPLATE} line 13:") and "Colour" in line
        for line in failures
    ), result
    assert any("Nothing" in line and line.startswith("[FAIL] E") for line in failures)
    assert "Template valid" not in result.stdout
    # The parameters are still compared, and are fine.
    assert "[PASS] Parameters complete" in result.stdout


def test_malformed_yaml_names_the_line(ray: Project) -> None:
    write(ray, TEMPLATE, CLEAN.replace("    Type: AWS::EC2::VPC", "    Type: [AWS"))

    result = ray.run()

    assert result.returncode == 1, result
    (failure,) = lines(result.stdout, "FAIL")
    assert failure.startswith(f"[FAIL] {TEMPLATE} line ")
    assert "does not parse" in failure and "fix the YAML or JSON" in failure


def test_a_template_that_is_not_an_object_fails(ray: Project) -> None:
    write(ray, TEMPLATE, "- just\n- a list\n")

    result = ray.run()

    assert result.returncode == 1, result
    assert f"[FAIL] {TEMPLATE} is not a CloudFormation template" in result.stdout


def test_a_missing_template_says_where_to_put_it(ray: Project) -> None:
    (ray.root / TEMPLATE).unlink()

    result = ray.run()

    assert result.returncode == 1, result
    assert (
        f"[FAIL] {TEMPLATE} does not exist: create the template there, or set "
        "cloudformation.template in flightcheck.toml" in result.stdout
    )


def test_a_parameter_without_default_needs_a_value(ray: Project) -> None:
    write_parameters(
        ray, [{"ParameterKey": "HeadInstanceType", "ParameterValue": "m5.large"}]
    )

    result = ray.run()

    assert result.returncode == 1, result
    assert lines(result.stdout, "FAIL") == [
        f"[FAIL] {PARAMETERS}: no value for S3BucketName, which {TEMPLATE} declares "
        'without a Default: add {"ParameterKey": "S3BucketName", '
        '"ParameterValue": "..."}'
    ]


def test_an_unknown_parameter_fails(ray: Project) -> None:
    write_parameters(
        ray,
        [
            {"ParameterKey": "S3BucketName", "ParameterValue": "b"},
            {"ParameterKey": "WorkerCount", "ParameterValue": "4"},
        ],
    )

    result = ray.run()

    assert result.returncode == 1, result
    assert lines(result.stdout, "FAIL") == [
        f"[FAIL] {PARAMETERS}: WorkerCount is not a parameter of {TEMPLATE}: remove "
        "it from this file, or declare it under Parameters in the template"
    ]


def test_a_parameters_file_that_is_not_json_fails(ray: Project) -> None:
    write(ray, PARAMETERS, '[{"ParameterKey": "S3BucketName",]\n')

    result = ray.run()

    assert result.returncode == 1, result
    (failure,) = lines(result.stdout, "FAIL")
    assert failure.startswith(f"[FAIL] {PARAMETERS} is not valid JSON (line 1 column")
    assert "it must be a list of" in failure


def test_a_parameters_file_of_the_wrong_shape_fails(ray: Project) -> None:
    write(ray, PARAMETERS, '{"S3BucketName": "b"}\n')

    result = ray.run()

    assert result.returncode == 1, result
    (failure,) = lines(result.stdout, "FAIL")
    assert failure.startswith(f"[FAIL] {PARAMETERS} must be a JSON list of")
    assert "create-stack --parameters file://" in failure
    assert failure.endswith("it holds an object")


def test_a_missing_parameters_file_fails(ray: Project) -> None:
    (ray.root / PARAMETERS).unlink()

    result = ray.run()

    assert result.returncode == 1, result
    assert (
        f"[FAIL] {PARAMETERS} does not exist: create the parameters file there, "
        "or set cloudformation.parameters in flightcheck.toml" in result.stdout
    )


def test_editing_either_file_runs_the_check_again(ray: Project) -> None:
    assert ray.run().returncode == 0
    again = ray.run()
    assert "Template valid" not in again.stdout, again

    write_parameters(
        ray,
        [
            {"ParameterKey": "S3BucketName", "ParameterValue": "other"},
            {"ParameterKey": "HeadInstanceType", "ParameterValue": "m5.xlarge"},
        ],
    )
    assert "Template valid" in ray.run().stdout
    write(ray, TEMPLATE, CLEAN)
    assert "Template valid" in ray.run().stdout


# --- the parameters file and the comparison, directly ----------------------


def load_parameters(tmp_path: Path, text: str) -> dict[str, str]:
    (tmp_path / "params.json").write_text(text)
    settings = config.RayConfig(
        root=tmp_path,
        cloudformation=config.CloudFormation(parameters="params.json"),
    )
    return cfn.load_parameters(settings)


def test_the_parameters_file_maps_keys_to_values(tmp_path: Path) -> None:
    text = json.dumps(
        [
            {"ParameterKey": "A", "ParameterValue": "1"},
            {"ParameterKey": "B", "ParameterValue": "", "UsePreviousValue": False},
        ]
    )
    assert load_parameters(tmp_path, text) == {"A": "1", "B": ""}


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        ([["A", "1"]], 'entry 1 is a list: make it a {"ParameterKey"'),
        ([{"ParameterValue": "1"}], 'entry 1 has no "ParameterKey" string: add one'),
        (
            [{"ParameterKey": "A", "ParameterValue": 4}],
            'A: "ParameterValue" must be a string, not a number',
        ),
        (
            [{"ParameterKey": "A"}],
            'A: "ParameterValue" must be a string, not null',
        ),
        (
            [{"ParameterKey": "A", "ParameterValue": "1", "Value": "1"}],
            'A: unknown field "Value": remove it',
        ),
        (
            [
                {"ParameterKey": "A", "ParameterValue": "1"},
                {"ParameterKey": "A", "ParameterValue": "2"},
            ],
            "A is given twice (entry 2): keep one",
        ),
    ],
)
def test_each_bad_entry_is_named(tmp_path: Path, entries: object, problem: str) -> None:
    with pytest.raises(cfn.CfnFileError) as raised:
        load_parameters(tmp_path, json.dumps(entries))

    (line,) = raised.value.lines
    assert line.startswith(f"params.json: {problem}")


def test_every_bad_entry_is_reported(tmp_path: Path) -> None:
    entries = [{"ParameterKey": "A", "ParameterValue": 1}, 7, {}]
    with pytest.raises(cfn.CfnFileError) as raised:
        load_parameters(tmp_path, json.dumps(entries))

    assert len(raised.value.lines) == 3


@pytest.mark.parametrize(
    ("declared", "given", "count"),
    [
        ({}, {}, 0),
        ({"A": False, "B": True}, {"A": "x"}, 0),
        ({"A": False}, {}, 1),
        ({"A": True}, {"A": "x", "Z": "y"}, 1),
        ({"A": False, "B": False}, {"Z": "y"}, 3),
    ],
)
def test_parameter_problems(
    declared: dict[str, bool], given: dict[str, str], count: int
) -> None:
    assert len(parameter_problems(declared, given, "t.yaml")) == count
