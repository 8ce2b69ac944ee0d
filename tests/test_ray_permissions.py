"""Check 5, AWS Permissions, against moto's server with IAM enforcement on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from conftest import Project, _free_port, use_only
from flightcheck.ray.checks import permissions

# The calls that set up the test user before the server starts checking.
SETUP_CALLS = 3


@dataclass
class Enforcing:
    """A moto server that checks IAM policies once ``SETUP_CALLS`` have passed."""

    endpoint: str

    def post(self, path: str, body: bytes = b"") -> None:
        # A form content type would hide the body from moto's reset-auth.
        headers = {"Content-Type": "text/plain"}
        request = urllib.request.Request(
            f"{self.endpoint}{path}", data=body, headers=headers, method="POST"
        )
        urllib.request.urlopen(request, timeout=10).close()

    def client(
        self, service: str, key: str = "testing", secret: str = "testing"
    ) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
        )

    def user(self, *allowed: str) -> dict[str, str]:
        """A fresh user allowed only ``allowed``; the keys to run as it."""
        self.post("/moto-api/reset")
        self.post("/moto-api/reset-auth", str(SETUP_CALLS).encode())
        iam = self.client("iam")
        iam.create_user(UserName="deployer")
        statement = {"Effect": "Allow", "Action": list(allowed), "Resource": "*"}
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        iam.put_user_policy(
            UserName="deployer", PolicyName="deploy", PolicyDocument=json.dumps(policy)
        )
        key = iam.create_access_key(UserName="deployer")["AccessKey"]
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
        }


@pytest.fixture(scope="module")
def enforcing() -> Iterator[Enforcing]:
    port = _free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_CALLS)}
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_for(endpoint)
        yield Enforcing(endpoint)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_for(endpoint: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def fail_lines(stdout: str) -> list[str]:
    return [line.strip() for line in stdout.splitlines() if "[FAIL]" in line]


# --- Pure helpers ----------------------------------------------------------


@pytest.mark.parametrize(
    ("caller", "principal"),
    [
        (
            "arn:aws:sts::123456789012:assumed-role/Deployer/alice",
            "arn:aws:iam::123456789012:role/Deployer",
        ),
        (
            "arn:aws-cn:sts::123456789012:assumed-role/ci-role/1700000000",
            "arn:aws-cn:iam::123456789012:role/ci-role",
        ),
        ("arn:aws:iam::123456789012:user/dev", "arn:aws:iam::123456789012:user/dev"),
        (
            "arn:aws:iam::123456789012:user/team/dev",
            "arn:aws:iam::123456789012:user/team/dev",
        ),
        ("arn:aws:iam::123456789012:root", None),
        ("arn:aws:sts::123456789012:federated-user/bob", None),
        ("arn:aws:sts::123456789012:assumed-role/", None),
        ("not-an-arn", None),
    ],
)
def test_principal_arn_maps_an_assumed_role_to_its_role(
    caller: str, principal: str | None
) -> None:
    assert permissions.principal_arn(caller) == principal


def test_actions_are_the_builtin_list_plus_the_extra_ones_sorted(
    ray_project: Project,
) -> None:
    from flightcheck.ray.config import Aws, RayConfig

    config = RayConfig(
        root=ray_project.root,
        aws=Aws(extra_permissions=("s3:DeleteObject", "ec2:DescribeVpcs")),
    )

    found = permissions.actions(config)

    assert found == sorted(found)
    assert len(found) == len(set(found)) == len(permissions.REQUIRED_ACTIONS) + 1
    assert "s3:DeleteObject" in found
    assert {"iam:PassRole", "ec2:RunInstances"} <= set(found)


def test_simulation_results_become_verdicts() -> None:
    results = [
        {"EvalActionName": "s3:putobject", "EvalDecision": "allowed"},
        {"EvalActionName": "ec2:RunInstances", "EvalDecision": "implicitDeny"},
        {"EvalActionName": "iam:PassRole", "EvalDecision": "explicitDeny"},
    ]
    wanted = ["ec2:RunInstances", "iam:PassRole", "s3:PutObject", "s3:GetObject"]

    verdicts = permissions.simulated(results, wanted)

    assert list(verdicts) == wanted
    assert verdicts["s3:PutObject"].kind == permissions.ALLOWED
    assert verdicts["ec2:RunInstances"] == permissions.Verdict(
        permissions.DENIED, " (implicitDeny)"
    )
    assert verdicts["iam:PassRole"].detail == permissions.EXPLICIT_DENY
    assert verdicts["s3:GetObject"].kind == permissions.UNVERIFIED


# --- Through the CLI, as a user with a limited policy ----------------------

PARTLY_ALLOWED = (
    "sts:GetCallerIdentity",
    "ec2:Describe*",
    "ec2:CreateSecurityGroup",
    "ecr:DescribeRepositories",
    "secretsmanager:DescribeSecret",
    "iam:GetRole",
)


def test_each_denied_action_is_its_own_fail_line(
    ray_project: Project, enforcing: Enforcing
) -> None:
    use_only(ray_project, "permissions")
    ray_project.env.update(enforcing.user(*PARTLY_ALLOWED))

    result = ray_project.run()

    assert result.returncode == 1, result
    assert "[INFO] Method: read-only and DryRun probe calls" in result.stdout
    assert (
        "(iam:SimulatePrincipalPolicy is not allowed for"
        " arn:aws:iam::123456789012:user/deployer)" in result.stdout
    ), result
    fails = fail_lines(result.stdout)
    for denied in (
        "ec2:RunInstances",
        "ec2:CreateVpc",
        "ecr:GetAuthorizationToken",
        "cloudformation:DescribeStacks",
        "secretsmanager:PutSecretValue",
    ):
        line = next((f for f in fails if f"Denied: {denied};" in f), None)
        assert line is not None, (denied, result)
        assert f'add "{denied}" to the Action list' in line
        assert "arn:aws:iam::123456789012:user/deployer" in line
    for allowed in (
        "ec2:DescribeVpcs",
        "ec2:CreateSecurityGroup",
        "ecr:DescribeRepositories",
        "iam:GetRole",
    ):
        assert not any(allowed in f for f in fails), (allowed, result)
    assert "[PASS] Allowed: " in result.stdout
    warned = next(line for line in result.stdout.splitlines() if "no safe" in line)
    assert "iam:PassRole" in warned


def test_everything_allowed_passes_and_leaves_nothing_behind(
    ray_project: Project, enforcing: Enforcing
) -> None:
    use_only(ray_project, "permissions")
    ray_project.env.update(enforcing.user("*"))
    env = ray_project.env
    ec2 = enforcing.client(
        "ec2", env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
    )
    before = _inventory(ec2)

    result = ray_project.run()

    assert result.returncode == 0, result
    assert "[FAIL]" not in result.stdout
    # moto has no SimulatePrincipalPolicy: it answers with an HTML error page.
    assert "(policy simulation is not available here" in result.stdout, result
    probed = len(permissions._PROBES)
    total = len(permissions.REQUIRED_ACTIONS)
    assert f"[PASS] Allowed: {probed} of {total} actions" in result.stdout, result
    # moto ignores DryRun for some create calls; the check deletes what it made.
    assert _inventory(ec2) == before
    (log,) = (ray_project.state / "logs").glob("*.log")
    assert "The endpoint ignored DryRun: delete_vpc" in log.read_text()


def _inventory(ec2: Any) -> tuple[int, int, int, int]:
    return (
        len(ec2.describe_vpcs()["Vpcs"]),
        len(ec2.describe_subnets()["Subnets"]),
        len(ec2.describe_security_groups()["SecurityGroups"]),
        len(ec2.describe_internet_gateways()["InternetGateways"]),
    )


def test_invalid_credentials_fail_before_any_probe(
    ray_project: Project, enforcing: Enforcing
) -> None:
    use_only(ray_project, "permissions")
    ray_project.env.update(enforcing.user("*"))
    ray_project.env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"

    result = ray_project.run()

    assert result.returncode == 1, result
    assert "[FAIL] Cannot identify the caller" in result.stdout
    assert "fix the AWS credentials first (check 2)" in result.stdout
    assert "not-the-secret" not in result.stdout


def test_extra_permissions_are_checked_and_malformed_ones_named(
    ray_project: Project, enforcing: Enforcing
) -> None:
    use_only(ray_project, "permissions")
    _extra(ray_project, "s3:DeleteObject", "DeleteObject")
    ray_project.env.update(enforcing.user("*"))

    result = ray_project.run()

    assert result.returncode == 1, result
    assert (
        "[FAIL] 'DeleteObject' in aws.extra_permissions of flightcheck.toml is not"
        " an IAM action" in result.stdout
    )
    warned = next(line for line in result.stdout.splitlines() if "no safe" in line)
    assert "s3:DeleteObject" in warned


def _extra(project: Project, *actions: str) -> None:
    path = project.root / "flightcheck.toml"
    listed = ", ".join(json.dumps(action) for action in actions)
    path.write_text(path.read_text() + f"\n[aws]\nextra_permissions = [{listed}]\n")


def test_fingerprint_is_the_action_list(ray_project: Project) -> None:
    use_only(ray_project, "permissions")

    first = ray_project.run()
    again = ray_project.run()
    _extra(ray_project, "s3:DeleteObject")
    explained = ray_project.run("--explain")

    assert first.returncode == 0, first
    assert "Skipped" in again.stdout, again
    fingerprint = ray_project.checkpoint["checks"]["1"]["fingerprint"]  # type: ignore[index]
    assert "config:actions" in fingerprint
    assert "will run: inputs changed: config actions" in explained.stdout, explained
