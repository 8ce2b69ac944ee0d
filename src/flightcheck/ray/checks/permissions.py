"""Check 5: the caller may perform every action the pipeline's deployment needs.

IAM's policy simulator answers for every action at once and changes nothing.
Where it is not allowed or not offered (an emulator), read-only calls and
EC2 DryRun calls stand in for the actions they can prove; the rest are
reported as not verified, never as passed.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import flightcheck
from flightcheck import CheckFailed, Context
from flightcheck.inputs import Input
from flightcheck.ray import aws
from flightcheck.ray.config import RayConfig

logger = logging.getLogger(__name__)

_NEEDED = {
    "cloudformation": "CreateStack UpdateStack DescribeStacks ValidateTemplate",
    "s3": "CreateBucket PutObject GetObject ListBucket",
    "ecr": "CreateRepository DescribeRepositories DescribeImages"
    " GetAuthorizationToken BatchCheckLayerAvailability InitiateLayerUpload"
    " UploadLayerPart CompleteLayerUpload PutImage",
    "secretsmanager": "CreateSecret PutSecretValue GetSecretValue DescribeSecret",
    "ec2": "CreateVpc DescribeVpcs CreateSubnet DescribeSubnets"
    " CreateSecurityGroup DescribeSecurityGroups CreateInternetGateway"
    " DescribeInternetGateways RunInstances DescribeInstances",
    "iam": "PassRole CreateRole AttachRolePolicy GetRole",
}
REQUIRED_ACTIONS = tuple(
    f"{service}:{name}" for service, names in _NEEDED.items() for name in names.split()
)

_ACTION = re.compile(r"[a-z0-9-]+:[A-Za-z0-9*]+")
# A probe ending in one of these reached the action's own logic: it is allowed.
_ALLOWED_CODES = frozenset(
    [
        "DryRunOperation",
        "NoSuchEntity",
        "RepositoryNotFoundException",
        "ResourceNotFoundException",
    ]
)
_DENIED_CODES = frozenset(
    [
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "AuthorizationErrorException",
    ]
)
_CREDENTIAL_CODES = frozenset(
    [
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
    ]
)

ALLOWED, DENIED, UNVERIFIED = "allowed", "denied", "unverified"
EXPLICIT_DENY = " (explicitly denied)"


@dataclass(frozen=True)
class Verdict:
    kind: str
    detail: str = ""


def actions(config: RayConfig) -> list[str]:
    """The built-in actions plus the project's extra ones, sorted, once each."""
    return sorted(set(REQUIRED_ACTIONS) | set(config.aws.extra_permissions))


def inputs(config: RayConfig) -> list[Input]:
    return [flightcheck.config(actions=actions(config))]


def principal_arn(caller_arn: str) -> str | None:
    """The IAM ARN to simulate for a caller; an assumed role maps to its role."""
    parts = caller_arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    _, partition, service, _, account, resource = parts
    if service == "iam" and resource.startswith(("user/", "role/")):
        return caller_arn
    kind, _, rest = resource.partition("/")
    role = rest.split("/")[0]
    if service == "sts" and kind == "assumed-role" and role:
        return f"arn:{partition}:iam::{account}:role/{role}"
    return None


def run(ctx: Context, config: RayConfig) -> None:
    wanted = []
    for action in actions(config):
        if _ACTION.fullmatch(action):
            wanted.append(action)
        else:
            ctx.fail(
                f"{action!r} in aws.extra_permissions of flightcheck.toml is not an"
                " IAM action: write it as service:Action, e.g. s3:DeleteObject"
            )
    caller = _caller(config)
    principal = principal_arn(caller)
    try:
        if principal is None:
            raise _Unavailable(f"{caller} cannot be simulated")
        principal, verdicts = _simulate(config, principal, wanted)
        ctx.info(f"Method: IAM policy simulation for {principal}")
    except _Unavailable as exc:
        ctx.info(f"Method: read-only and DryRun probe calls ({exc})")
        verdicts = _probe_all(ctx, config, wanted)
    _report(ctx, verdicts, principal or caller)


def _report(ctx: Context, verdicts: dict[str, Verdict], principal: str) -> None:
    for action, verdict in verdicts.items():
        if verdict.kind == DENIED:
            ctx.fail(
                f"Denied: {action}{verdict.detail}; {_fix(action, verdict, principal)}"
            )
    allowed = [a for a, v in verdicts.items() if v.kind == ALLOWED]
    if allowed:
        ctx.ok(f"Allowed: {len(allowed)} of {len(verdicts)} actions")
    for action, verdict in verdicts.items():
        if verdict.kind == UNVERIFIED and verdict.detail:
            ctx.warn(f"Could not verify {action}{verdict.detail}")
    unprobed = [a for a, v in verdicts.items() if v.kind == UNVERIFIED and not v.detail]
    if unprobed:
        ctx.warn(
            f"Not verified, no safe probe call: {', '.join(unprobed)}; allow"
            f" iam:SimulatePrincipalPolicy on {principal} so that flightcheck can"
            " check them, or confirm them with your AWS administrator"
        )


def _fix(action: str, verdict: Verdict, principal: str) -> str:
    if verdict.detail == EXPLICIT_DENY:
        return (
            f"remove the Deny statement matching it from the policies of {principal}"
            " (or the permissions boundary or organization SCP that holds it)"
        )
    return (
        f'add "{action}" to the Action list of an Allow statement in a policy'
        f" attached to {principal}"
    )


class _Unavailable(Exception):
    """Policy simulation cannot answer; the message says why."""


def _caller(config: RayConfig) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        arn: str = aws.client("sts", config.region).get_caller_identity()["Arn"]
    except (BotoCoreError, ClientError) as exc:
        raise CheckFailed(
            f"Cannot identify the caller ({_describe(exc)}): fix the AWS"
            " credentials first (check 2), then re-run flightcheck"
        ) from exc
    return arn


def _simulate(
    config: RayConfig, principal: str, wanted: list[str]
) -> tuple[str, dict[str, Verdict]]:
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    iam = aws.client("iam", config.region)
    try:
        try:
            return principal, _evaluate(iam, principal, wanted)
        except ClientError as exc:
            if aws.error_code(exc) != "NoSuchEntity" or ":role/" not in principal:
                raise
            # An assumed role's ARN drops the role's path; IAM knows the full one.
            name = principal.rsplit("/", 1)[1]
            principal = iam.get_role(RoleName=name)["Role"]["Arn"]
            return principal, _evaluate(iam, principal, wanted)
    except ClientError as exc:
        code = aws.error_code(exc)
        if code in _DENIED_CODES:
            reason = f"iam:SimulatePrincipalPolicy is not allowed for {principal}"
        else:
            reason = f"policy simulation failed: {_describe(exc)}"
        raise _Unavailable(reason) from exc
    except (BotoCoreError, ResponseParserError) as exc:
        # moto answers SimulatePrincipalPolicy with an HTML error page.
        reason = f"policy simulation is not available here: {type(exc).__name__}"
        raise _Unavailable(reason) from exc


# Limitation: actions are simulated on every resource ("*"), so a policy that
# allows an action only on named resources (one bucket, one repository) is
# reported as denying it.
def _evaluate(iam: Any, principal: str, wanted: list[str]) -> dict[str, Verdict]:
    paginator = iam.get_paginator("simulate_principal_policy")
    pages = paginator.paginate(PolicySourceArn=principal, ActionNames=wanted)
    return simulated([r for page in pages for r in page["EvaluationResults"]], wanted)


def simulated(
    results: Iterable[Mapping[str, Any]], wanted: list[str]
) -> dict[str, Verdict]:
    """Each wanted action's verdict from SimulatePrincipalPolicy's results."""
    decisions = {r["EvalActionName"].lower(): r["EvalDecision"] for r in results}
    return {action: _decided(decisions.get(action.lower())) for action in wanted}


def _decided(decision: str | None) -> Verdict:
    if decision == "allowed":
        return Verdict(ALLOWED)
    if decision is None:
        return Verdict(UNVERIFIED, " (the simulator gave no answer)")
    if decision == "explicitDeny":
        return Verdict(DENIED, EXPLICIT_DENY)
    return Verdict(DENIED, f" ({decision})")


# --- The fallback: probe calls ---------------------------------------------


@dataclass
class _Targets:
    """What a probe's arguments name, as ``{field}``: the project's or made up."""

    repository: str
    secret: str
    token: str
    instance_type: str
    subnet: dict[str, str] = field(default_factory=dict)


_TEMPLATE = '{"Resources": {"Probe": {"Type": "AWS::SNS::Topic"}}}'
_LAYER = "sha256:" + "0" * 64
# action -> (operation, arguments). Names made of {token} or {secret} cannot
# exist, so an allowed call ends in a "not found" error and changes nothing.
_PROBES: dict[str, tuple[str, dict[str, Any]]] = {
    "cloudformation:DescribeStacks": ("describe_stacks", {}),
    "cloudformation:ValidateTemplate": (
        "validate_template",
        {"TemplateBody": _TEMPLATE},
    ),
    "ecr:DescribeRepositories": ("describe_repositories", {"maxResults": 1}),
    "ecr:DescribeImages": (
        "describe_images",
        {"repositoryName": "{repository}", "maxResults": 1},
    ),
    "ecr:GetAuthorizationToken": ("get_authorization_token", {}),
    "ecr:BatchCheckLayerAvailability": (
        "batch_check_layer_availability",
        {"repositoryName": "{repository}", "layerDigests": [_LAYER]},
    ),
    "secretsmanager:DescribeSecret": ("describe_secret", {"SecretId": "{secret}"}),
    "secretsmanager:GetSecretValue": ("get_secret_value", {"SecretId": "{secret}"}),
    "secretsmanager:PutSecretValue": (
        "put_secret_value",
        {"SecretId": "{secret}", "SecretString": "probe"},
    ),
    "ec2:DescribeVpcs": ("describe_vpcs", {"MaxResults": 5}),
    "ec2:DescribeSubnets": ("describe_subnets", {"MaxResults": 5}),
    "ec2:DescribeSecurityGroups": ("describe_security_groups", {"MaxResults": 5}),
    "ec2:DescribeInternetGateways": ("describe_internet_gateways", {"MaxResults": 5}),
    "ec2:DescribeInstances": ("describe_instances", {"MaxResults": 5}),
    "ec2:CreateVpc": ("create_vpc", {"CidrBlock": "10.255.0.0/16", "DryRun": True}),
    # Its VPC and range are filled in by _spare_subnet.
    "ec2:CreateSubnet": ("create_subnet", {"DryRun": True}),
    "ec2:CreateSecurityGroup": (
        "create_security_group",
        {
            "GroupName": "flightcheck-probe-{token}",
            "Description": "flightcheck permission probe",
            "DryRun": True,
        },
    ),
    "ec2:CreateInternetGateway": ("create_internet_gateway", {"DryRun": True}),
    # Limitation: on AWS the made-up AMI may end in InvalidAMIID instead of
    # DryRunOperation, leaving RunInstances "not verified" rather than proven.
    "ec2:RunInstances": (
        "run_instances",
        {
            "ImageId": "ami-12345678",
            "InstanceType": "{instance_type}",
            "MinCount": 1,
            "MaxCount": 1,
            "DryRun": True,
        },
    ),
    "iam:GetRole": ("get_role", {"RoleName": "flightcheck-probe-{token}"}),
}


class _NoProbe(Exception):
    """The probe cannot be tried here; the message says why."""


def _probe_all(
    ctx: Context, config: RayConfig, wanted: list[str]
) -> dict[str, Verdict]:
    import uuid

    token = uuid.uuid4().hex[:12]
    targets = _Targets(
        repository=config.image.repository,
        secret=f"{config.name}/flightcheck-probe-{token}",
        token=token,
        instance_type=config.ray.head_instance_type,
    )
    clients: dict[str, Any] = {}
    verdicts: dict[str, Verdict] = {}
    for action in wanted:
        if action not in _PROBES:
            verdicts[action] = Verdict(UNVERIFIED)
            continue
        service = action.split(":")[0]
        if service not in clients:
            clients[service] = aws.client(service, config.region)
        verdicts[action] = _probe(ctx, clients[service], action, targets)
    return verdicts


def _probe(ctx: Context, client: Any, action: str, targets: _Targets) -> Verdict:
    from botocore.exceptions import BotoCoreError, ClientError

    operation, arguments = _PROBES[action]
    filled = {key: _fill(value, targets) for key, value in arguments.items()}
    try:
        if operation == "create_subnet":
            filled.update(_spare_subnet(client, targets))
        response = getattr(client, operation)(**filled)
    except _NoProbe as exc:
        return Verdict(UNVERIFIED, f" ({exc})")
    except ClientError as exc:
        return _classify(exc)
    except BotoCoreError as exc:
        raise CheckFailed(f"Cannot reach AWS: {_describe(exc)}") from exc
    if filled.get("DryRun"):
        _undo(ctx, client, response)
    return Verdict(ALLOWED)


def _fill(value: Any, targets: _Targets) -> Any:
    # Plain replacement, not str.format: the template body holds braces.
    if isinstance(value, str):
        for name, text in vars(targets).items():
            if isinstance(text, str):
                value = value.replace(f"{{{name}}}", text)
    return value


def _spare_subnet(ec2: Any, targets: _Targets) -> dict[str, str]:
    """A VPC and the last /28 of its range: a subnet DryRun can ask for."""
    if not targets.subnet:
        vpcs = ec2.describe_vpcs(MaxResults=5)["Vpcs"]
        if not vpcs:
            raise _NoProbe("no VPC to try it in")
        network = ipaddress.ip_network(vpcs[0]["CidrBlock"])
        last = network.broadcast_address - 15
        targets.subnet = {"VpcId": vpcs[0]["VpcId"], "CidrBlock": f"{last}/28"}
    return targets.subnet


def _classify(exc: Exception) -> Verdict:
    code = aws.error_code(exc)
    metadata = getattr(exc, "response", {}).get("ResponseMetadata", {})
    if code in _CREDENTIAL_CODES:
        raise CheckFailed(
            f"AWS rejected the credentials ({code}): fix them (check 2), then"
            " re-run flightcheck"
        ) from exc
    if code in _ALLOWED_CODES:
        return Verdict(ALLOWED)
    if code in _DENIED_CODES or metadata.get("HTTPStatusCode") == 403:
        return Verdict(DENIED)
    return Verdict(UNVERIFIED, f" ({code or type(exc).__name__})")


# What each create call returns -> how to delete it.
_CREATED = {
    "Vpc": ("VpcId", "delete_vpc"),
    "Subnet": ("SubnetId", "delete_subnet"),
    "InternetGateway": ("InternetGatewayId", "delete_internet_gateway"),
}


def _undo(ctx: Context, ec2: Any, response: Any) -> None:
    """Delete what a DryRun call created on an endpoint that ignored DryRun."""
    if not isinstance(response, dict):
        return
    created = [
        (delete, {id_key: response[key][id_key]})
        for key, (id_key, delete) in _CREATED.items()
        if isinstance(response.get(key), dict)
    ]
    if "GroupId" in response:
        created.append(("delete_security_group", {"GroupId": response["GroupId"]}))
    instances = [i["InstanceId"] for i in response.get("Instances", [])]
    if instances:
        created.append(("terminate_instances", {"InstanceIds": instances}))
    for operation, arguments in created:
        _delete(ctx, ec2, operation, arguments)


def _delete(ctx: Context, ec2: Any, operation: str, arguments: dict[str, Any]) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    # moto ignores DryRun on some create calls; only the log hears of it.
    try:
        getattr(ec2, operation)(**arguments)
    except (BotoCoreError, ClientError) as exc:
        ctx.warn(
            f"The endpoint ignored DryRun and created {arguments}; {operation}"
            f" failed ({_describe(exc)}): remove it by hand"
        )
        return
    logger.info("The endpoint ignored DryRun: %s %s", operation, arguments)


def _describe(exc: BaseException) -> str:
    code = aws.error_code(exc)
    return f"{code}: {exc}" if code else f"{type(exc).__name__}: {exc}"
