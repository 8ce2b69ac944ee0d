"""Check 2, AWS Credentials: who STS says the caller is, or why it cannot say."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from flightcheck import CheckFailed, Context
from flightcheck.inputs import Fingerprint, Input, Scope, keyed_digest
from flightcheck.inputs import config as config_values
from flightcheck.ray import aws
from flightcheck.ray.config import RayConfig

#: STS answers in every region; this one serves a caller that names none.
STS_FALLBACK_REGION = "us-east-1"

CREDENTIAL_VARIABLES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)
_SECRET_VARIABLES = frozenset(
    {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
)
#: (variable that moves the file, where it is otherwise), as the AWS CLI has it.
CREDENTIALS_FILE = ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
CONFIG_FILE = ("AWS_CONFIG_FILE", "~/.aws/config")


@dataclass(frozen=True)
class AwsSources:
    """AWS settings in the environment and the shared files, by keyed hash only."""

    names: tuple[str, ...]
    files: tuple[tuple[str, str], ...]

    def collect(self, scope: Scope) -> Fingerprint:
        found: Fingerprint = {}
        for name in self.names:
            kind = "secret" if name in _SECRET_VARIABLES else "env"
            value = scope.environ.get(name)
            found[f"{kind}:{name}"] = (
                "unset" if value is None else _keyed(value.encode(), scope)
            )
        for variable, default in self.files:
            where = scope.environ.get(variable) or default
            found[f"file:{where}"] = _file_digest(where, scope)
        return found


def _keyed(data: bytes, scope: Scope) -> str:
    # Without the key (an --explain before the first run) there is nothing
    # to compare with, and a plain hash of credentials must never be kept.
    if scope.secret_key is None:
        return "unkeyed"
    return keyed_digest(data, scope.secret_key)


def _file_digest(where: str, scope: Scope) -> str:
    path = Path(expand_home(where, scope.environ))
    try:
        return _keyed(path.read_bytes(), scope)
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"unreadable ({exc.strerror or type(exc).__name__})"


def expand_home(path: str, environ: Mapping[str, str]) -> str:
    """``~`` expanded with the ``HOME`` of ``environ``, not of this process."""
    home = environ.get("HOME")
    if home and (path == "~" or path.startswith("~/")):
        return home + path[1:]
    return path


def credential_sources() -> AwsSources:
    """Every setting that can change who the AWS caller is."""
    return AwsSources(CREDENTIAL_VARIABLES, (CREDENTIALS_FILE, CONFIG_FILE))


def inputs(config: RayConfig) -> list[Input]:
    return [credential_sources(), config_values(region=config.region)]


def run(ctx: Context, config: RayConfig) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        region = region_in_use(config.region) or STS_FALLBACK_REGION
        identity = aws.client("sts", region).get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise CheckFailed(_explain(exc)) from exc
    account, arn = identity["Account"], identity["Arn"]
    ctx.ok(f"Account: {account}")
    ctx.info(f"ARN: {arn}")
    ctx.record("account", account)
    ctx.record("arn", arn)


def region_in_use(configured: str) -> str:
    """The region a call should go to: flightcheck.toml's, else the AWS settings'."""
    # botocore reads AWS_DEFAULT_REGION only; the AWS CLI v2 and the other
    # SDKs let AWS_REGION win over it, and so must we.
    return configured or os.environ.get("AWS_REGION") or aws.region_of("")


def _explain(exc: Exception) -> str:
    kwargs = getattr(exc, "kwargs", {})
    return failure_message(
        aws.error_code(exc) or type(exc).__name__,
        profile=str(kwargs.get("profile") or _profile(os.environ)),
        env_keys="AWS_ACCESS_KEY_ID" in os.environ,
        endpoint=str(kwargs.get("endpoint_url") or ""),
        custom_endpoint=os.environ.get("AWS_ENDPOINT_URL", ""),
        detail=str(exc),
        files=" or ".join(
            os.environ.get(variable) or default
            for variable, default in (CONFIG_FILE, CREDENTIALS_FILE)
        ),
    )


def _profile(environ: Mapping[str, str]) -> str:
    return environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE") or ""


NO_CREDENTIALS = frozenset({"NoCredentialsError"})
PARTIAL = frozenset({"PartialCredentialsError"})
NO_PROFILE = frozenset({"ProfileNotFound"})
EXPIRED = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
SSO_EXPIRED = frozenset(
    {"SSOTokenLoadError", "UnauthorizedSSOTokenError", "TokenRetrievalError"}
)
INVALID = frozenset(
    {
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "AuthFailure",
        "InvalidAccessKeyId",
    }
)
UNREACHABLE = frozenset(
    {
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ConnectTimeout",
        "ReadTimeoutError",
        "ConnectionClosedError",
        "ProxyConnectionError",
        "SSLError",
    }
)
_DETAIL_CHARS = 200


def failure_message(
    kind: str,
    *,
    profile: str = "",
    env_keys: bool = False,
    endpoint: str = "",
    custom_endpoint: str = "",
    detail: str = "",
    files: str = "~/.aws/config or ~/.aws/credentials",
) -> str:
    """What went wrong asking STS who the caller is, and how to fix it.

    ``kind`` is the AWS error code or botocore's exception class name;
    ``custom_endpoint`` is ``AWS_ENDPOINT_URL`` when it is set; ``files``
    names the shared files a profile is looked up in.
    """
    if kind in NO_CREDENTIALS:
        return f"No AWS credentials found: {_how_to_sign_in(profile)}"
    if kind in PARTIAL:
        return (
            f"The AWS credentials are incomplete ({detail[:_DETAIL_CHARS]}): set "
            "both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or unset both and "
            f"{_how_to_sign_in(profile)}"
        )
    if kind in NO_PROFILE:
        return (
            f"The AWS profile {profile!r} does not exist in {files}: "
            f"create it with `aws configure --profile "
            f"{profile}` (or `aws configure sso --profile {profile}`), or "
            "export AWS_PROFILE=<a profile `aws configure list-profiles` shows>"
        )
    if kind in EXPIRED | SSO_EXPIRED:
        fix = _how_to_renew(profile, env_keys)
        return f"The AWS credentials have expired ({kind}): {fix}"
    if kind in INVALID:
        fix = _how_to_replace(profile, env_keys)
        return f"The AWS credentials are invalid ({kind}): {fix}"
    if kind in UNREACHABLE:
        return _unreachable(kind, endpoint, custom_endpoint)
    return (
        f"STS GetCallerIdentity failed ({kind}: {detail[:_DETAIL_CHARS]}): "
        "check the credentials with `aws sts get-caller-identity`"
    )


def _how_to_sign_in(profile: str) -> str:
    if profile:
        return (
            f"run `aws configure --profile {profile}` (access keys) or "
            f"`aws sso login --profile {profile}` (IAM Identity Center)"
        )
    return (
        "run `aws configure` (access keys), or `aws sso login --profile NAME` "
        "and export AWS_PROFILE=NAME (IAM Identity Center), or export "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )


def _how_to_renew(profile: str, env_keys: bool) -> str:
    if env_keys:
        return (
            "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN in "
            "the environment are used first: export fresh temporary credentials "
            "or unset them to use a profile; a wrong system clock also causes this"
        )
    name = profile or "NAME"
    return (
        f"run `aws sso login --profile {name}`, or refresh the profile's "
        f"temporary credentials (`aws configure --profile {name}`); a wrong "
        "system clock also causes this"
    )


def _how_to_replace(profile: str, env_keys: bool) -> str:
    if env_keys:
        return (
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment are "
            "used first and are wrong or deactivated: export a valid access key "
            "pair, or unset them to use a profile"
        )
    command = f"aws configure --profile {profile}" if profile else "aws configure"
    return (
        "the access key is unknown, deactivated, or its secret does not match: "
        f"create a new access key in IAM and enter it with `{command}`"
    )


def _unreachable(kind: str, endpoint: str, custom: str) -> str:
    where = endpoint or custom or "the STS endpoint"
    if custom:
        fix = f"AWS_ENDPOINT_URL is {custom}: start that service, or fix or unset it"
    else:
        fix = "check the network connection, and HTTPS_PROXY if one is needed"
    return f"Cannot reach {where} ({kind}): {fix}"
