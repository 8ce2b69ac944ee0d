"""Check 3, AWS Region: set, existing, enabled, and offering the Ray instance types."""

from __future__ import annotations

import os
from collections.abc import Mapping

from flightcheck import CheckFailed, Context
from flightcheck.inputs import Input, env
from flightcheck.inputs import config as config_values
from flightcheck.ray import aws
from flightcheck.ray.checks.credentials import CONFIG_FILE, AwsSources, region_in_use
from flightcheck.ray.config import RayConfig

#: Where to ask for a partition's regions: one that is never opt-in.
_PARTITION_HOMES = (("cn-", "cn-north-1"), ("us-gov-", "us-gov-west-1"))
_DEFAULT_HOME = "us-east-1"
_ENABLED = frozenset({"opt-in-not-required", "opted-in"})
_TOML_REGION = "region under [project] in flightcheck.toml"


def inputs(config: RayConfig) -> list[Input]:
    return [
        config_values(
            region=config.region,
            head_instance_type=config.ray.head_instance_type,
            worker_instance_type=config.ray.worker_instance_type,
        ),
        env("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"),
        # A profile's region lives in the config file.
        AwsSources((), (CONFIG_FILE,)),
    ]


def run(ctx: Context, config: RayConfig) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        region = _usable_region(config)
        ctx.ok(f"Region: {region}")
        ctx.record("region", region)
        wanted = _wanted_types(config)
        offered = _offered_types(region, set(wanted))
    except (BotoCoreError, ClientError) as exc:
        raise CheckFailed(failure_message(exc)) from exc
    for instance_type, roles in wanted.items():
        if instance_type in offered:
            ctx.ok(f"Instance type offered: {instance_type} (Ray {roles})")
        else:
            ctx.fail(_not_offered(instance_type, roles, region))


def _usable_region(config: RayConfig) -> str:
    region = region_in_use(config.region)
    if not region:
        raise CheckFailed(
            f"No AWS region is set: set {_TOML_REGION} "
            '(region = "us-east-1"), or export AWS_REGION=us-east-1'
        )
    source = region_source(config.region, os.environ)
    problem = region_problem(region, source, _opt_in_statuses(region))
    if problem:
        raise CheckFailed(problem)
    return region


def region_source(configured: str, environ: Mapping[str, str]) -> str:
    """Where the region in use was set, for a message that says what to edit."""
    if configured:
        return _TOML_REGION
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if environ.get(name):
            return name
    return "the AWS profile's region in ~/.aws/config"


def region_problem(region: str, source: str, statuses: Mapping[str, str]) -> str:
    """Why ``region`` cannot be used, given each region's opt-in status; else ""."""
    if region not in statuses:
        return (
            f"Region {region} (from {source}) does not exist: change it to a "
            "region that `aws ec2 describe-regions --all-regions` lists"
        )
    status = statuses[region]
    if status in _ENABLED:
        return ""
    if status == "opting-in":
        return (
            f"Region {region} is still being enabled for this account: "
            "run again in a few minutes"
        )
    return (
        f"Region {region} is not enabled for this account ({status}): enable it "
        f"with `aws account enable-region --region-name {region}` (or in the "
        "console under Account > AWS Regions), or change "
        f"{source} to an enabled region"
    )


def _home(region: str) -> str:
    for prefix, home in _PARTITION_HOMES:
        if region.startswith(prefix):
            return home
    return _DEFAULT_HOME


def _opt_in_statuses(region: str) -> dict[str, str]:
    # Asked in the partition's home region: a region that does not exist has
    # no endpoint, and one not enabled refuses calls.
    client = aws.client("ec2", _home(region))
    answer = client.describe_regions(AllRegions=True)
    return {
        item["RegionName"]: item.get("OptInStatus", "opt-in-not-required")
        for item in answer["Regions"]
    }


def _wanted_types(config: RayConfig) -> dict[str, str]:
    """Each instance type the project names -> the Ray roles it plays."""
    roles = {config.ray.head_instance_type: ["head"]}
    roles.setdefault(config.ray.worker_instance_type, []).append("workers")
    return {name: " and ".join(played) for name, played in roles.items()}


def _offered_types(region: str, names: set[str]) -> set[str]:
    client = aws.client("ec2", region)
    pages = client.get_paginator("describe_instance_type_offerings").paginate(
        LocationType="region",
        Filters=[{"Name": "instance-type", "Values": sorted(names)}],
    )
    return {
        item["InstanceType"] for page in pages for item in page["InstanceTypeOfferings"]
    }


def _not_offered(instance_type: str, roles: str, region: str) -> str:
    keys = {"head": "head_instance_type", "workers": "worker_instance_type"}
    named = " and ".join(keys[role] for role in roles.split(" and "))
    return (
        f"Instance type {instance_type} (Ray {roles}) is not offered in {region}: "
        f"change {named} under [ray] in flightcheck.toml to a type that "
        f"`aws ec2 describe-instance-type-offerings --region {region}` lists"
    )


def failure_message(exc: Exception) -> str:
    """What an AWS error asking about regions means, and how to fix it."""
    code = aws.error_code(exc)
    if code in {"UnauthorizedOperation", "AccessDenied", "AccessDeniedException"}:
        return (
            f"Not allowed to read the regions and instance types ({code}): allow "
            "ec2:DescribeRegions and ec2:DescribeInstanceTypeOfferings for the caller"
        )
    return (
        f"Cannot check the region ({code or type(exc).__name__}: {exc}): check "
        "the network and the AWS settings; the AWS Credentials check names the cause"
    )
