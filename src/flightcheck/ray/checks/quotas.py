"""Check 9: the region's quotas leave room for the stack and the Ray cluster.

Each count is what is in use now plus what the template adds (or, for
vCPUs, the Ray head and the maximum number of workers). A quota is read with
GetServiceQuota, falling back to GetAWSDefaultServiceQuota; one that cannot
be read is a warning with the reason, never a silent pass.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flightcheck import Context, Level
from flightcheck.inputs import Input, files
from flightcheck.inputs import config as values
from flightcheck.ray.config import RayConfig
from flightcheck.ray.inputs import region_sources


@dataclass(frozen=True)
class Quota:
    """One quota, how to count its use now, and the resource type that adds to it."""

    label: str
    service: str
    code: str
    resource_type: str
    count: Callable[[Any], int]


@dataclass(frozen=True)
class Usage:
    """What one quota is measured against: use now, and what the change adds."""

    label: str
    service: str
    code: str
    now: int
    added: int
    adder: str  # what adds ``added``: "the stack", "Ray"


#: On-Demand vCPU quotas by the letters an instance type's family starts with.
_VCPU_QUOTAS = {
    **dict.fromkeys(
        ("a", "c", "d", "h", "i", "im", "is", "m", "r", "t", "z"),
        ("Standard", "L-1216C47A"),
    ),
    **dict.fromkeys(("g", "vt"), ("G and VT", "L-DB2E81BA")),
    "p": ("P", "L-417A185B"),
    "x": ("X", "L-7295265B"),
    "f": ("F", "L-74FC7D96"),
    "inf": ("Inf", "L-1945791B"),
    "trn": ("Trn", "L-2C3B7624"),
    "dl": ("DL", "L-6E869C2A"),
}


def inputs(config: RayConfig) -> list[Input]:
    found: list[Input] = [
        files(config.cloudformation.template),
        values(
            head_instance_type=config.ray.head_instance_type,
            worker_instance_type=config.ray.worker_instance_type,
            max_workers=config.ray.max_workers,
            region=config.region,
        ),
    ]
    return found + region_sources(config)


def run(ctx: Context, config: RayConfig) -> None:
    from flightcheck.ray import aws

    region = aws.region_of(config.region)
    ec2 = aws.client("ec2", config.region)
    quotas = aws.client("service-quotas", config.region)
    added = _stack_counts(ctx, config)
    for quota in _NETWORK_QUOTAS:
        try:
            now = quota.count(ec2)
        except Exception as exc:  # noqa: BLE001 - any failure to count is reported
            ctx.warn(f"{quota.label} use could not be counted: {_reason(exc)}")
            continue
        usage = Usage(
            quota.label,
            quota.service,
            quota.code,
            now,
            added[quota.resource_type],
            "the stack",
        )
        _judge(ctx, quotas, usage, region)
    for usage in _vcpu_usages(ctx, config, ec2):
        _judge(ctx, quotas, usage, region)


def _stack_counts(ctx: Context, config: RayConfig) -> Counter[str]:
    """How many resources of each type the template creates."""
    from flightcheck.ray import cfn

    try:
        template = cfn.load_template(config)
    except cfn.CfnFileError as exc:
        ctx.warn(
            f"the stack's resources are not counted, the template cannot be read "
            f"({exc.lines[0]}); check 10 reports it"
        )
        return Counter()
    return Counter(template.resources.values())


def _judge(ctx: Context, quotas: Any, usage: Usage, region: str) -> None:
    limit, reason = _read_quota(quotas, usage.service, usage.code)
    level, text = verdict(usage, limit, reason, region)
    {Level.PASS: ctx.ok, Level.WARN: ctx.warn}.get(level, ctx.fail)(text)


def verdict(
    usage: Usage, limit: int | None, reason: str, region: str
) -> tuple[Level, str]:
    """Whether ``usage`` fits under ``limit`` (``None``: unreadable, for ``reason``)."""
    total = usage.now + usage.added
    parts = f"{usage.now} in use + {usage.added} for {usage.adder}"
    if limit is None:
        return Level.WARN, (
            f"{usage.label} quota could not be read ({usage.service} {usage.code}: "
            f"{reason}); {total} would be in use ({parts})"
        )
    if total <= limit:
        return Level.PASS, f"{usage.label} quota OK: {total}/{limit} used"
    return Level.FAIL, (
        f"{usage.label} quota exceeded: {total}/{limit} needed ({parts}) in "
        f"{region}: free some, or request an increase in the Service Quotas "
        "console or with `aws service-quotas request-service-quota-increase "
        f"--service-code {usage.service} --quota-code {usage.code} "
        f"--desired-value {total} --region {region}`"
    )


def _read_quota(quotas: Any, service: str, code: str) -> tuple[int | None, str]:
    """The applied quota, else AWS's default; ``None`` and why when neither."""
    reasons = []
    asks = (
        ("GetServiceQuota", quotas.get_service_quota),
        ("GetAWSDefaultServiceQuota", quotas.get_aws_default_service_quota),
    )
    for operation, ask in asks:
        try:
            answer = ask(ServiceCode=service, QuotaCode=code)
            return int(answer["Quota"]["Value"]), ""
        except Exception as exc:  # noqa: BLE001 - the reason is reported instead
            reasons.append(f"{operation}: {_reason(exc)}")
    return None, "; ".join(reasons)


# --- counting what is in use ---------------------------------------------------


def _paged(client: Any, operation: str, key: str, **kwargs: Any) -> Iterable[Any]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def _count_vpcs(ec2: Any) -> int:
    return sum(1 for _ in _paged(ec2, "describe_vpcs", "Vpcs"))


def _count_internet_gateways(ec2: Any) -> int:
    return sum(1 for _ in _paged(ec2, "describe_internet_gateways", "InternetGateways"))


def _count_addresses(ec2: Any) -> int:
    return len(ec2.describe_addresses().get("Addresses", []))


def _count_nat_gateways_in_busiest_zone(ec2: Any) -> int:
    live = {"Name": "state", "Values": ["pending", "available"]}
    subnets = [
        gateway["SubnetId"]
        for gateway in _paged(
            ec2, "describe_nat_gateways", "NatGateways", Filter=[live]
        )
        if gateway.get("SubnetId")
    ]
    if not subnets:
        return 0
    zones = {
        subnet["SubnetId"]: subnet["AvailabilityZone"]
        for subnet in ec2.describe_subnets(SubnetIds=sorted(set(subnets)))["Subnets"]
    }
    return max(Counter(zones.get(subnet, "") for subnet in subnets).values())


_NETWORK_QUOTAS = (
    Quota("VPC", "vpc", "L-F678F1CE", "AWS::EC2::VPC", _count_vpcs),
    Quota(
        "Internet gateway",
        "vpc",
        "L-A4707A72",
        "AWS::EC2::InternetGateway",
        _count_internet_gateways,
    ),
    # Limitation: which zone the stack's NAT gateways land in is not worked out
    # from the template, so all of them are counted in the busiest zone.
    Quota(
        "NAT gateway per AZ",
        "vpc",
        "L-FE5A380F",
        "AWS::EC2::NatGateway",
        _count_nat_gateways_in_busiest_zone,
    ),
    Quota("Elastic IP", "ec2", "L-0263D0A3", "AWS::EC2::EIP", _count_addresses),
)


# --- vCPUs for the Ray cluster --------------------------------------------------


def family_quota(instance_type: str) -> tuple[str, str] | None:
    """The On-Demand vCPU quota (name, code) an instance type counts against."""
    letters = re.match(r"[a-z]+", instance_type.lower())
    return _VCPU_QUOTAS.get(letters.group()) if letters else None


def _vcpu_usages(ctx: Context, config: RayConfig, ec2: Any) -> list[Usage]:
    """One usage per vCPU quota the Ray head and workers count against."""
    ray = config.ray
    try:
        sizes = _vcpus_of(ec2, {ray.head_instance_type, ray.worker_instance_type})
        running = _running_vcpus(ec2)
    except Exception as exc:  # noqa: BLE001 - any failure to count is reported
        ctx.warn(
            f"the Ray cluster's vCPUs could not be counted ({_reason(exc)}): check "
            "ray.head_instance_type and ray.worker_instance_type in flightcheck.toml"
        )
        return []
    head, worker = sizes[ray.head_instance_type], sizes[ray.worker_instance_type]
    ctx.info(
        f"Ray needs {head + ray.max_workers * worker} vCPUs: head "
        f"{ray.head_instance_type} ({head}) + {ray.max_workers} × "
        f"{ray.worker_instance_type} ({worker} each)"
    )
    needed: Counter[tuple[str, str]] = Counter()
    for instance_type, count in (
        (ray.head_instance_type, 1),
        (ray.worker_instance_type, ray.max_workers),
    ):
        quota = family_quota(instance_type)
        if quota is None:
            ctx.warn(
                f"no known On-Demand vCPU quota for {instance_type}: check it in the "
                "Service Quotas console (service EC2)"
            )
        else:
            needed[quota] += count * sizes[instance_type]
    return [
        Usage(f"On-Demand {name} vCPU", "ec2", code, running[code], vcpus, "Ray")
        for (name, code), vcpus in needed.items()
    ]


def _vcpus_of(ec2: Any, instance_types: set[str]) -> dict[str, int]:
    """Default vCPUs of each instance type, by DescribeInstanceTypes."""
    found: dict[str, int] = {}
    ordered = sorted(instance_types)
    for start in range(0, len(ordered), 100):
        answer = ec2.describe_instance_types(InstanceTypes=ordered[start : start + 100])
        for item in answer["InstanceTypes"]:
            found[item["InstanceType"]] = int(item["VCpuInfo"]["DefaultVCpus"])
    return found


def _running_vcpus(ec2: Any) -> Counter[str]:
    """vCPUs of running On-Demand instances, by the quota code they count against."""
    live = {"Name": "instance-state-name", "Values": ["pending", "running"]}
    instances = [
        instance
        for reservation in _paged(
            ec2, "describe_instances", "Reservations", Filters=[live]
        )
        for instance in reservation.get("Instances", [])
        if instance.get("InstanceLifecycle") != "spot"
    ]
    sizes = _vcpus_of(ec2, {i["InstanceType"] for i in instances}) if instances else {}
    used: Counter[str] = Counter()
    for instance in instances:
        quota = family_quota(instance["InstanceType"])
        if quota is not None:
            used[quota[1]] += _instance_vcpus(instance, sizes)
    return used


def _instance_vcpus(instance: dict[str, Any], sizes: dict[str, int]) -> int:
    cpu = instance.get("CpuOptions") or {}
    if cpu.get("CoreCount") and cpu.get("ThreadsPerCore"):
        return int(cpu["CoreCount"]) * int(cpu["ThreadsPerCore"])
    return sizes.get(instance["InstanceType"], 0)


def _reason(exc: BaseException) -> str:
    """An AWS error in one short line: its code and the first line of its message."""
    from flightcheck.ray import aws

    code = aws.error_code(exc)
    message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", ""))
    if code.isdigit():
        return f"HTTP {code}"
    if code:
        first = message.splitlines()[0] if message else ""
        return f"{code}: {first}" if first else code
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
