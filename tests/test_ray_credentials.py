"""Check 2, AWS Credentials: STS on the emulator, and what a failure says."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import Project, clean_env, use_only
from flightcheck.inputs import Scope
from flightcheck.ray.checks import credentials
from flightcheck.ray.checks.credentials import failure_message

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzSECRET"
FILE_SECRET = "fileSecretK7MDENGbPxRfiCYEXAMPLEKEY99"


@pytest.fixture
def creds_project(ray_project: Project) -> Project:
    use_only(ray_project, "credentials")
    return ray_project


@pytest.fixture(scope="module")
def enforcing_endpoint() -> Iterator[str]:
    """A second moto server that checks every request's credentials."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = clean_env(INITIAL_NO_AUTH_ACTION_COUNT="0")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(endpoint, server)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_until_up(endpoint: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "the enforcing moto server exited"
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2).close()
        except OSError:
            time.sleep(0.2)
        else:
            return
    pytest.fail("the enforcing moto server did not start within 30s")


def aws_file(project: Project, variable: str) -> Path:
    """The shared AWS file the project's environment names, made to exist."""
    path = Path(project.env[variable])
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def drop_env_keys(project: Project) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        project.env.pop(name, None)


# --- Through the real command ---------------------------------------------


def test_valid_credentials_pass_with_account_and_arn(creds_project: Project) -> None:
    result = creds_project.run()

    assert result.returncode == 0, result
    assert "[PASS] Account: 123456789012" in result.stdout
    assert "[INFO] ARN: arn:aws:sts::123456789012:" in result.stdout
    record = creds_project.checkpoint["checks"]["1"]  # type: ignore[index]
    assert record["result"]


def test_credentials_from_a_profile_file_pass(creds_project: Project) -> None:
    drop_env_keys(creds_project)
    aws_file(creds_project, "AWS_SHARED_CREDENTIALS_FILE").write_text(
        f"[dev]\naws_access_key_id = AKIDEV\naws_secret_access_key = {FILE_SECRET}\n"
    )
    creds_project.env["AWS_PROFILE"] = "dev"

    result = creds_project.run()

    assert result.returncode == 0, result
    assert "[PASS] Account: 123456789012" in result.stdout


def test_no_credentials_fail_saying_how_to_sign_in(creds_project: Project) -> None:
    drop_env_keys(creds_project)

    result = creds_project.run()

    assert result.returncode == 1, result
    assert "[FAIL] No AWS credentials found: run `aws configure`" in result.stdout
    assert "aws sso login --profile NAME" in result.stdout
    assert "export AWS_PROFILE=NAME" in result.stdout


def test_unknown_profile_fails_naming_it(creds_project: Project) -> None:
    creds_project.env["AWS_PROFILE"] = "nope"

    result = creds_project.run()

    assert result.returncode == 1, result
    files = " or ".join(
        creds_project.env[name]
        for name in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
    )
    assert f"[FAIL] The AWS profile 'nope' does not exist in {files}:" in (
        result.stdout
    )
    assert "`aws configure --profile nope`" in result.stdout
    assert "aws configure list-profiles" in result.stdout


def test_unreachable_endpoint_fails_naming_it(creds_project: Project) -> None:
    creds_project.env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"

    started = time.monotonic()
    result = creds_project.run()

    assert result.returncode == 1, result
    assert "[FAIL] Cannot reach http://127.0.0.1:9" in result.stdout
    assert "AWS_ENDPOINT_URL is http://127.0.0.1:9: start that service" in (
        result.stdout
    )
    assert time.monotonic() - started < 30


def test_invalid_keys_in_the_environment_fail(
    creds_project: Project, enforcing_endpoint: str
) -> None:
    creds_project.env["AWS_ENDPOINT_URL"] = enforcing_endpoint

    result = creds_project.run()

    assert result.returncode == 1, result
    assert (
        "[FAIL] The AWS credentials are invalid (InvalidClientTokenId): "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment"
    ) in result.stdout


def test_invalid_keys_of_a_profile_fail_naming_the_profile(
    creds_project: Project, enforcing_endpoint: str
) -> None:
    drop_env_keys(creds_project)
    aws_file(creds_project, "AWS_SHARED_CREDENTIALS_FILE").write_text(
        f"[dev]\naws_access_key_id = AKIDEV\naws_secret_access_key = {FILE_SECRET}\n"
    )
    creds_project.env.update(AWS_PROFILE="dev", AWS_ENDPOINT_URL=enforcing_endpoint)

    result = creds_project.run()

    assert result.returncode == 1, result
    assert "[FAIL] The AWS credentials are invalid (InvalidClientTokenId)" in (
        result.stdout
    )
    assert "`aws configure --profile dev`" in result.stdout
    assert FILE_SECRET not in result.stdout


# --- The fingerprint --------------------------------------------------------


def test_a_new_profile_reruns_the_check(creds_project: Project) -> None:
    aws_file(creds_project, "AWS_CONFIG_FILE").write_text(
        "[profile dev]\nregion = us-east-1\n"
    )
    assert creds_project.run().returncode == 0
    assert "0 ran, 1 skipped" in creds_project.run().stdout

    creds_project.env["AWS_PROFILE"] = "dev"
    result = creds_project.run()

    assert result.returncode == 0, result
    assert "inputs changed: $AWS_PROFILE" in result.stdout
    assert "[PASS] Account: 123456789012" in result.stdout


def test_an_edited_credentials_file_reruns_the_check(creds_project: Project) -> None:
    path = aws_file(creds_project, "AWS_SHARED_CREDENTIALS_FILE")
    path.write_text("[other]\naws_access_key_id = AKIAOTHER\n")
    assert creds_project.run().returncode == 0

    path.write_text("[other]\naws_access_key_id = AKIAROTATED\n")
    result = creds_project.run()

    assert f"inputs changed: {path}" in result.stdout


def test_the_checkpoint_never_holds_a_secret(creds_project: Project) -> None:
    creds_project.env["AWS_SECRET_ACCESS_KEY"] = SECRET_KEY
    aws_file(creds_project, "AWS_SHARED_CREDENTIALS_FILE").write_text(
        f"[dev]\naws_secret_access_key = {FILE_SECRET}\n"
    )

    result = creds_project.run()

    assert result.returncode == 0, result
    fingerprint = creds_project.checkpoint["checks"]["1"]["fingerprint"]  # type: ignore[index]
    stored = fingerprint["secret:AWS_SECRET_ACCESS_KEY"]
    assert stored not in hashlib.sha256(SECRET_KEY.encode()).hexdigest()
    for path in creds_project.state.rglob("*"):
        if path.is_file() and path.name != "fingerprint.key":
            text = path.read_text(errors="replace")
            assert SECRET_KEY not in text, path
            assert FILE_SECRET not in text, path


# --- The fingerprint's parts, directly --------------------------------------


def test_sources_are_keyed_and_labelled(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text("[default]\n")
    environ = {"HOME": str(home), "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    key = os.urandom(32)

    found = credentials.credential_sources().collect(Scope(tmp_path, environ, key))

    assert found["env:AWS_PROFILE"] == "unset"
    assert found["file:~/.aws/config"] == "missing"
    assert len(found["file:~/.aws/credentials"]) == 32
    plain = hashlib.sha256(SECRET_KEY.encode()).hexdigest()
    assert found["secret:AWS_SECRET_ACCESS_KEY"] not in plain
    other = credentials.credential_sources().collect(
        Scope(tmp_path, environ, os.urandom(32))
    )
    assert (
        other["secret:AWS_SECRET_ACCESS_KEY"] != found["secret:AWS_SECRET_ACCESS_KEY"]
    )


def test_sources_without_a_key_keep_no_hash(tmp_path: Path) -> None:
    environ = {"AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_CONFIG_FILE": "/nowhere"}

    found = credentials.credential_sources().collect(Scope(tmp_path, environ, None))

    assert found["secret:AWS_SECRET_ACCESS_KEY"] == "unkeyed"
    assert found["file:/nowhere"] == "missing"


# --- What each failure says -------------------------------------------------


@pytest.mark.parametrize(
    "code", ["ExpiredToken", "ExpiredTokenException", "RequestExpired"]
)
def test_expired_credentials_say_how_to_renew(code: str) -> None:
    with_profile = failure_message(code, profile="dev")
    from_env = failure_message(code, env_keys=True)

    assert with_profile.startswith(f"The AWS credentials have expired ({code}): ")
    assert "`aws sso login --profile dev`" in with_profile
    assert "export fresh temporary credentials" in from_env
    assert "AWS_SESSION_TOKEN" in from_env


@pytest.mark.parametrize(
    "kind", ["SSOTokenLoadError", "UnauthorizedSSOTokenError", "TokenRetrievalError"]
)
def test_an_expired_sso_login_says_to_log_in_again(kind: str) -> None:
    message = failure_message(kind, profile="team")

    assert message.startswith("The AWS credentials have expired")
    assert "`aws sso login --profile team`" in message


@pytest.mark.parametrize(
    "code",
    [
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "AuthFailure",
    ],
)
def test_invalid_credentials_say_how_to_replace_them(code: str) -> None:
    message = failure_message(code)

    assert message.startswith(f"The AWS credentials are invalid ({code}): ")
    assert "`aws configure`" in message


@pytest.mark.parametrize(
    "kind", ["EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError"]
)
def test_unreachable_endpoints_say_what_to_check(kind: str) -> None:
    plain = failure_message(kind, endpoint="https://sts.us-east-1.amazonaws.com/")
    custom = failure_message(kind, custom_endpoint="http://localhost:4566")

    assert plain.startswith("Cannot reach https://sts.us-east-1.amazonaws.com/")
    assert "check the network connection" in plain
    assert "AWS_ENDPOINT_URL is http://localhost:4566" in custom


def test_partial_and_unknown_failures_name_the_cause() -> None:
    partial = failure_message(
        "PartialCredentialsError", detail="Partial credentials found in env"
    )
    other = failure_message("Throttling", detail="Rate exceeded")

    assert "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in partial
    assert other.startswith("STS GetCallerIdentity failed (Throttling: Rate exceeded)")
