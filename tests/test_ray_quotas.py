"""Check 9, AWS Service Quotas: room for the stack and the Ray cluster.

The emulator answers the ``vpc`` service code's quotas (VPCs, internet and NAT
gateways, all 5) and neither call for the ``ec2`` ones, so there the Elastic
IP and vCPU quotas are warnings with the reason, as they would be on AWS for a
caller not allowed to read them.
"""

from __future__ import annotations

import pytest

from conftest import Aws, Project, use_only
from flightcheck import Level
from flightcheck.ray.checks.quotas import Usage, family_quota, verdict

TEMPLATE = "2_cloudformation/template.yaml"


@pytest.fixture
def ray(ray_project: Project) -> Project:
    use_only(ray_project, "quotas")
    return ray_project


def lines(output: str, level: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if f"[{level}]" in line]


def add_resources(project: Project, text: str) -> None:
    path = project.root / TEMPLATE
    path.write_text(path.read_text().replace("Resources:\n", f"Resources:\n{text}"))


def test_room_for_the_stack_passes_as_the_spec_shows(ray: Project) -> None:
    result = ray.run()

    assert result.returncode == 0, result
    # The emulator's default VPC plus the template's one.
    assert lines(result.stdout, "PASS") == [
        "[PASS] VPC quota OK: 2/5 used",
        "[PASS] Internet gateway quota OK: 1/5 used",
        "[PASS] NAT gateway per AZ quota OK: 0/5 used",
    ]
    assert (
        "[INFO] Ray needs 20 vCPUs: head m5.xlarge (4) + 2 × m5.2xlarge (8 each)"
        in result.stdout
    )


def test_unreadable_quotas_are_warnings_with_the_reason(ray: Project) -> None:
    result = ray.run()

    assert result.returncode == 0, result
    eip, vcpu = lines(result.stdout, "WARN")
    assert eip.startswith(
        "[WARN] Elastic IP quota could not be read (ec2 L-0263D0A3: "
        "GetServiceQuota: NoSuchResourceException"
    )
    assert "GetAWSDefaultServiceQuota: HTTP 500" in eip
    assert eip.endswith("0 would be in use (0 in use + 0 for the stack)")
    assert vcpu.startswith(
        "[WARN] On-Demand Standard vCPU quota could not be read (ec2 L-1216C47A: "
    )
    assert vcpu.endswith("20 would be in use (0 in use + 20 for Ray)")


def test_too_many_vpcs_fail_with_how_to_ask_for_more(ray: Project, aws: Aws) -> None:
    ec2 = aws.client("ec2")
    for n in range(4):
        ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")

    result = ray.run()

    assert result.returncode == 1, result
    assert lines(result.stdout, "FAIL") == [
        "[FAIL] VPC quota exceeded: 6/5 needed (5 in use + 1 for the stack) in "
        "us-east-1: free some, or request an increase in the Service Quotas "
        "console or with `aws service-quotas request-service-quota-increase "
        "--service-code vpc --quota-code L-F678F1CE --desired-value 6 "
        "--region us-east-1`"
    ]


def test_too_many_internet_gateways_fail(ray: Project, aws: Aws) -> None:
    ec2 = aws.client("ec2")
    for _ in range(5):
        ec2.create_internet_gateway()

    result = ray.run()

    assert result.returncode == 1, result
    (failure,) = lines(result.stdout, "FAIL")
    assert failure.startswith(
        "[FAIL] Internet gateway quota exceeded: 6/5 needed (5 in use + 1 for the "
        "stack)"
    )
    assert "--service-code vpc --quota-code L-A4707A72 --desired-value 6" in failure


def test_what_the_template_adds_is_counted(ray: Project) -> None:
    add_resources(
        ray,
        "  Second:\n    Type: AWS::EC2::VPC\n"
        "    Properties:\n      CidrBlock: 10.30.0.0/16\n"
        "  Ip:\n    Type: AWS::EC2::EIP\n",
    )

    result = ray.run()

    assert result.returncode == 0, result
    assert "[PASS] VPC quota OK: 3/5 used" in result.stdout
    assert "0 would be in use (0 in use + 1 for the stack)" not in result.stdout
    assert "1 would be in use (0 in use + 1 for the stack)" in result.stdout


def test_nat_gateways_count_in_the_busiest_zone(ray: Project, aws: Aws) -> None:
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    zones = {"us-east-1a": 4, "us-east-1b": 2}
    for n, (zone, count) in enumerate(zones.items()):
        subnet = ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.9.{n}.0/24", AvailabilityZone=zone
        )["Subnet"]["SubnetId"]
        for _ in range(count):
            ip = ec2.allocate_address(Domain="vpc")["AllocationId"]
            ec2.create_nat_gateway(SubnetId=subnet, AllocationId=ip)
    add_resources(ray, "  Nat:\n    Type: AWS::EC2::NatGateway\n")

    result = ray.run()

    assert result.returncode == 0, result
    # 4 in the busiest zone + the stack's one; not 6 + 1 across zones.
    assert "[PASS] NAT gateway per AZ quota OK: 5/5 used" in result.stdout
    assert "6 would be in use (6 in use + 0 for the stack)" in result.stdout


def test_running_instances_count_toward_the_vcpus(ray: Project, aws: Aws) -> None:
    ec2 = aws.client("ec2")
    ec2.run_instances(
        ImageId="ami-12c6146b", InstanceType="m5.large", MinCount=2, MaxCount=2
    )

    result = ray.run()

    assert result.returncode == 0, result
    assert "24 would be in use (4 in use + 20 for Ray)" in result.stdout


def test_max_workers_scales_the_vcpus_and_reruns_the_check(ray: Project) -> None:
    assert ray.run().returncode == 0
    assert "Ray needs" not in ray.run().stdout

    toml = ray.root / "flightcheck.toml"
    toml.write_text(toml.read_text().replace("max_workers = 2", "max_workers = 10"))
    result = ray.run()

    assert "[INFO] Ray needs 84 vCPUs" in result.stdout, result
    assert "84 would be in use (0 in use + 84 for Ray)" in result.stdout


def test_editing_the_template_reruns_the_check(ray: Project) -> None:
    assert ray.run().returncode == 0
    add_resources(ray, "  Ip:\n    Type: AWS::EC2::EIP\n")

    assert "1 would be in use (0 in use + 1 for the stack)" in ray.run().stdout


def test_an_unknown_instance_type_is_a_warning(ray: Project) -> None:
    toml = ray.root / "flightcheck.toml"
    toml.write_text(toml.read_text().replace('"m5.2xlarge"', '"m5.huge"'))

    result = ray.run()

    assert result.returncode == 0, result
    (warning,) = [w for w in lines(result.stdout, "WARN") if "Ray" in w]
    assert warning.startswith(
        "[WARN] the Ray cluster's vCPUs could not be counted (InvalidInstanceType"
    )
    assert "ray.worker_instance_type in flightcheck.toml" in warning


def test_a_broken_template_still_counts_what_is_in_use(ray: Project) -> None:
    (ray.root / TEMPLATE).write_text("Resources: [\n")

    result = ray.run()

    assert result.returncode == 0, result
    assert "[WARN] the stack's resources are not counted" in result.stdout
    assert "check 10 reports it" in result.stdout
    assert "[PASS] VPC quota OK: 1/5 used" in result.stdout


# --- the judgement, directly ----------------------------------------------------


def usage(now: int, added: int) -> Usage:
    return Usage("VPC", "vpc", "L-F678F1CE", now, added, "the stack")


@pytest.mark.parametrize(
    ("now", "added", "limit", "level", "words"),
    [
        (1, 1, 5, Level.PASS, "VPC quota OK: 2/5 used"),
        (4, 1, 5, Level.PASS, "VPC quota OK: 5/5 used"),
        (5, 1, 5, Level.FAIL, "VPC quota exceeded: 6/5 needed"),
        (7, 0, 5, Level.FAIL, "--desired-value 7 --region eu-west-1"),
        (1, 1, None, Level.WARN, "could not be read (vpc L-F678F1CE: denied)"),
    ],
)
def test_verdict(
    now: int, added: int, limit: int | None, level: Level, words: str
) -> None:
    found, text = verdict(usage(now, added), limit, "denied", "eu-west-1")

    assert found is level
    assert words in text


@pytest.mark.parametrize(
    ("instance_type", "code"),
    [
        ("m5.xlarge", "L-1216C47A"),
        ("c7gn.large", "L-1216C47A"),
        ("is4gen.xlarge", "L-1216C47A"),
        ("t3a.micro", "L-1216C47A"),
        ("g5.2xlarge", "L-DB2E81BA"),
        ("vt1.3xlarge", "L-DB2E81BA"),
        ("p4d.24xlarge", "L-417A185B"),
        ("inf2.xlarge", "L-1945791B"),
        ("trn1.2xlarge", "L-2C3B7624"),
        ("x2iedn.xlarge", "L-7295265B"),
    ],
)
def test_family_quota(instance_type: str, code: str) -> None:
    quota = family_quota(instance_type)

    assert quota is not None
    assert quota[1] == code


def test_a_family_without_a_known_quota_is_a_warning(ray: Project) -> None:
    assert family_quota("mac1.metal") is None
    toml = ray.root / "flightcheck.toml"
    toml.write_text(toml.read_text().replace('"m5.xlarge"', '"hpc6a.48xlarge"'))

    result = ray.run()

    assert result.returncode == 0, result
    assert (
        "[WARN] no known On-Demand vCPU quota for hpc6a.48xlarge: check it in the "
        "Service Quotas console (service EC2)" in result.stdout
    )
    # The workers' quota is still checked on its own.
    assert "16 would be in use (0 in use + 16 for Ray)" in result.stdout
