"""Check 6: every API key the pipeline needs is in Secrets Manager.

A key set in the environment is stored (created, or a new version only when
the stored value differs) and read back; an unset one must already be
stored. Values only ever travel from the environment to boto3: no line,
log, checkpoint or argument list holds one.
"""

from __future__ import annotations

import hmac
import os
from typing import Any

import flightcheck
from flightcheck import CheckFailed, Context
from flightcheck.inputs import Input
from flightcheck.ray import aws
from flightcheck.ray.config import RayConfig

_CREDENTIAL_CODES = frozenset(
    {"InvalidClientTokenId", "UnrecognizedClientException", "ExpiredTokenException"}
)


def inputs(config: RayConfig) -> list[Input]:
    return [
        flightcheck.secret(*config.secrets),
        flightcheck.config(secrets=dict(config.secrets)),
    ]


def run(ctx: Context, config: RayConfig) -> None:
    if not config.secrets:
        ctx.info("No API keys configured ([secrets] in flightcheck.toml is empty)")
        return
    from botocore.exceptions import BotoCoreError

    try:
        client = aws.client("secretsmanager", config.region)
        where = aws.region_of(config.region)
        for variable, name in config.secrets.items():
            try:
                _one(ctx, client, variable, name, where)
            except _Failed as exc:
                ctx.fail(str(exc))
    except BotoCoreError as exc:
        raise CheckFailed(
            f"Cannot call Secrets Manager ({type(exc).__name__}: {exc}); checks 2"
            " and 3 say how to fix the AWS credentials and region"
        ) from exc


class _Failed(Exception):
    """One key could not be stored or read; the message says how to fix it."""


def _one(ctx: Context, client: Any, variable: str, name: str, where: str) -> None:
    value = os.environ.get(variable, "")
    stored = _read(client, name)
    if not value:
        if stored is None:
            raise _Failed(_missing(variable, name, where))
        ctx.ok(f"{variable} stored as {name} (already stored)")
        return
    if stored is not None and _same(stored, value):
        ctx.ok(f"{variable} stored as {name} (unchanged)")
        return
    how = _write(client, name, value)
    back = _read(client, name)
    if back is None or not _same(back, value):
        raise _Failed(
            f"{variable}: reading {name} back did not return the value just"
            f" stored; check its versions with aws secretsmanager"
            f" list-secret-version-ids --secret-id {name}"
        )
    ctx.ok(f"{variable} stored as {name} ({how})")


def _same(stored: str | bytes, value: str) -> bool:
    if isinstance(stored, str):
        stored = stored.encode()
    return hmac.compare_digest(stored, value.encode())


def _read(client: Any, name: str) -> str | bytes | None:
    """The secret's current value, or None when it is not stored."""
    from botocore.exceptions import ClientError

    try:
        response = client.get_secret_value(SecretId=name)
    except ClientError as exc:
        if aws.error_code(exc) == "ResourceNotFoundException":
            return None
        raise _Failed(_explain(exc, "secretsmanager:GetSecretValue", name)) from exc
    value: str | bytes | None = response.get("SecretString")
    if value is None:
        value = response.get("SecretBinary")
    return value or None


def _write(client: Any, name: str, value: str) -> str:
    """Store ``value`` as ``name``; says whether it was created or updated."""
    from botocore.exceptions import ClientError

    try:
        client.create_secret(
            Name=name,
            SecretString=value,
            Description="API key stored by flightcheck",
        )
        return "created"
    except ClientError as exc:
        if aws.error_code(exc) != "ResourceExistsException":
            raise _Failed(_explain(exc, "secretsmanager:CreateSecret", name)) from exc
    try:
        client.put_secret_value(SecretId=name, SecretString=value)
    except ClientError as exc:
        raise _Failed(_explain(exc, "secretsmanager:PutSecretValue", name)) from exc
    return "updated"


def _missing(variable: str, name: str, where: str) -> str:
    return (
        f"{variable} is not set and {name} is not in Secrets Manager ({where}):"
        f" run `read -rs {variable} && export {variable}` (paste the key; it is"
        " not echoed or kept in history), then re-run flightcheck; or store it"
        f" yourself with aws secretsmanager create-secret --name {name}"
        " --secret-string file://PATH_TO_A_FILE_HOLDING_THE_KEY"
    )


def _explain(exc: Exception, action: str, name: str) -> str:
    code = aws.error_code(exc)
    if _denied(exc):
        return (
            f"Not allowed to {action} on {name}: add {action} to a policy of the"
            " caller (check 5 lists what the deployment needs)"
        )
    message = _message(exc)
    # AWS says "marked for deletion", moto "marked deleted".
    if code == "InvalidRequestException" and "marked" in message:
        return (
            f"{name} is scheduled for deletion: run aws secretsmanager"
            f" restore-secret --secret-id {name}, then re-run flightcheck"
        )
    if code in {"DecryptionFailure", "KMSAccessDeniedException"}:
        return (
            f"{name} cannot be decrypted ({code}): allow kms:Decrypt on its KMS"
            " key for the caller"
        )
    return f"{action} on {name} failed ({code or type(exc).__name__}): {message}"


def _message(exc: Exception) -> str:
    """The error's own message on one line, without botocore's preamble."""
    error = getattr(exc, "response", {}).get("Error", {})
    return " ".join(str(error.get("Message") or exc).split())


def _denied(exc: Exception) -> bool:
    # moto's IAM enforcement answers JSON services with an XML 403 that
    # botocore reads as the error code "403".
    code = aws.error_code(exc)
    if code in _CREDENTIAL_CODES:
        return False
    status = getattr(exc, "response", {}).get("ResponseMetadata", {})
    denied = code in {"AccessDeniedException", "AccessDenied"}
    return denied or status.get("HTTPStatusCode") == 403
