"""Check 3, AWS Region: set, existing, enabled, offering the Ray instance types."""

from __future__ import annotations

import pytest

from conftest import Project, use_only
from flightcheck.ray.checks import region


def configure(project: Project, region_name: str = "", **ray: str) -> None:
    """Rewrite flightcheck.toml with this region and these [ray] keys."""
    lines = ["[project]", 'name = "ray-pipeline"']
    if region_name:
        lines.append(f'region = "{region_name}"')
    if ray:
        lines.append("[ray]")
        lines += [f'{key} = "{value}"' for key, value in ray.items()]
    (project.root / "flightcheck.toml").write_text("\n".join(lines) + "\n")


@pytest.fixture
def region_project(ray_project: Project) -> Project:
    use_only(ray_project, "region")
    return ray_project


def test_enabled_region_offering_both_types_passes(region_project: Project) -> None:
    result = region_project.run()

    assert result.returncode == 0, result
    assert "[PASS] Region: us-east-1" in result.stdout
    assert "[PASS] Instance type offered: m5.xlarge (Ray head)" in result.stdout
    assert "[PASS] Instance type offered: m5.2xlarge (Ray workers)" in result.stdout


def test_region_from_the_environment_is_used(region_project: Project) -> None:
    configure(region_project)
    region_project.env.update(AWS_REGION="eu-west-1", AWS_DEFAULT_REGION="eu-west-1")

    result = region_project.run()

    assert result.returncode == 0, result
    assert "[PASS] Region: eu-west-1" in result.stdout


def test_no_region_fails_saying_where_to_set_it(region_project: Project) -> None:
    configure(region_project)
    region_project.env.pop("AWS_REGION")
    region_project.env.pop("AWS_DEFAULT_REGION")

    result = region_project.run()

    assert result.returncode == 1, result
    assert (
        "[FAIL] No AWS region is set: set region under [project] in "
        'flightcheck.toml (region = "us-east-1"), or export AWS_REGION=us-east-1'
    ) in result.stdout


def test_unknown_region_fails_naming_the_toml_key(region_project: Project) -> None:
    configure(region_project, "us-nowhere-1")

    result = region_project.run()

    assert result.returncode == 1, result
    assert (
        "[FAIL] Region us-nowhere-1 (from region under [project] in "
        "flightcheck.toml) does not exist"
    ) in result.stdout
    assert "aws ec2 describe-regions --all-regions" in result.stdout


def test_unknown_region_from_the_environment_names_the_variable(
    region_project: Project,
) -> None:
    configure(region_project)
    region_project.env["AWS_REGION"] = "mars-north-1"

    result = region_project.run()

    assert result.returncode == 1, result
    assert "[FAIL] Region mars-north-1 (from AWS_REGION) does not exist" in (
        result.stdout
    )


def test_region_not_opted_in_fails_saying_how_to_enable_it(
    region_project: Project,
) -> None:
    # The emulator reports ap-east-1 as an opt-in region this account lacks.
    configure(region_project, "ap-east-1")

    result = region_project.run()

    assert result.returncode == 1, result
    assert "[FAIL] Region ap-east-1 is not enabled for this account (not-opted-in)" in (
        result.stdout
    )
    assert "`aws account enable-region --region-name ap-east-1`" in result.stdout
    assert "Instance type" not in result.stdout


def test_each_missing_instance_type_is_its_own_failure(region_project: Project) -> None:
    configure(
        region_project,
        "us-east-1",
        head_instance_type="m5.enormous",
        worker_instance_type="z9.tiny",
    )

    result = region_project.run()

    assert result.returncode == 1, result
    assert "[PASS] Region: us-east-1" in result.stdout
    assert (
        "[FAIL] Instance type m5.enormous (Ray head) is not offered in us-east-1: "
        "change head_instance_type under [ray] in flightcheck.toml"
    ) in result.stdout
    assert (
        "[FAIL] Instance type z9.tiny (Ray workers) is not offered in us-east-1: "
        "change worker_instance_type under [ray] in flightcheck.toml"
    ) in result.stdout
    assert "Failed: 2" in result.stdout


def test_one_type_for_head_and_workers_is_checked_once(region_project: Project) -> None:
    configure(
        region_project,
        "us-east-1",
        head_instance_type="m5.large",
        worker_instance_type="m5.large",
    )

    result = region_project.run()

    assert result.returncode == 0, result
    assert "[PASS] Instance type offered: m5.large (Ray head and workers)" in (
        result.stdout
    )


# --- The fingerprint --------------------------------------------------------


def test_a_new_instance_type_reruns_the_check(region_project: Project) -> None:
    assert region_project.run().returncode == 0
    assert "0 ran, 1 skipped" in region_project.run().stdout

    configure(region_project, "us-east-1", head_instance_type="m5.large")
    result = region_project.run()

    assert "inputs changed: config head_instance_type" in result.stdout
    assert "[PASS] Instance type offered: m5.large (Ray head)" in result.stdout


def test_a_new_region_in_the_environment_reruns_the_check(
    region_project: Project,
) -> None:
    configure(region_project)
    assert region_project.run().returncode == 0

    region_project.env["AWS_REGION"] = "us-west-2"
    result = region_project.run()

    assert "inputs changed: $AWS_REGION" in result.stdout
    assert "[PASS] Region: us-west-2" in result.stdout


# --- The decisions, directly ------------------------------------------------


@pytest.mark.parametrize("status", ["opt-in-not-required", "opted-in"])
def test_enabled_statuses_are_usable(status: str) -> None:
    assert (
        region.region_problem("eu-south-2", "AWS_REGION", {"eu-south-2": status}) == ""
    )


def test_a_region_being_enabled_says_to_wait() -> None:
    problem = region.region_problem("me-central-1", "x", {"me-central-1": "opting-in"})

    assert "still being enabled" in problem


def test_region_source_prefers_the_toml_then_the_variables() -> None:
    assert region.region_source("us-east-1", {"AWS_REGION": "x"}).startswith("region")
    assert region.region_source("", {"AWS_DEFAULT_REGION": "x"}) == "AWS_DEFAULT_REGION"
    assert "~/.aws/config" in region.region_source("", {})


def test_a_denied_lookup_names_the_actions_to_allow() -> None:
    from botocore.exceptions import ClientError

    denied = ClientError(
        {"Error": {"Code": "UnauthorizedOperation", "Message": "no"}},
        "DescribeRegions",
    )

    message = region.failure_message(denied)

    assert "(UnauthorizedOperation)" in message
    assert "ec2:DescribeRegions and ec2:DescribeInstanceTypeOfferings" in message
