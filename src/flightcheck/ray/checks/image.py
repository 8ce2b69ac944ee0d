"""Check 8: the image, tagged by the content of its build context, is in the registry.

The tag is a hash of everything ``docker build`` would use, so a registry that
already holds it needs no build, on any machine. That hash is also the
check's fingerprint: editing a file of the context re-runs this check alone.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flightcheck import CheckFailed, Context
from flightcheck.inputs import Fingerprint, Input, Scope, env
from flightcheck.inputs import config as config_values
from flightcheck.ray import aws
from flightcheck.ray.build_context import (
    BuildContext,
    cached_content_hash,
    content_hash,
    relative_dirs,
    tag_of,
)
from flightcheck.ray.checks import docker_engine
from flightcheck.ray.config import RayConfig

logger = logging.getLogger(__name__)

#: How many lines of a failed build or push the failure shows.
OUTPUT_TAIL = 12
REGISTRY_TIMEOUT_S = 30

_STEP = re.compile(r"(Step \d+/\d+ : |#\d+ \[[^\]]*\d+/\d+\] )")
_MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    ]
)
_LOOPBACK = re.compile(r"(localhost|127\.\d+\.\d+\.\d+|::1)")
# Keys of a Docker config.json that hold or route credentials.
_CREDENTIAL_KEYS = ("auths", "credsStore", "credHelpers")


# --- Inputs -------------------------------------------------------------

# The hash computed for the fingerprint, reused by the same run's build.
_computed: dict[BuildContext, str] = {}


@dataclass(frozen=True)
class ImageContent:
    """The content hash of the build context, as ``image:content``."""

    context: BuildContext

    def collect(self, scope: Scope) -> Fingerprint:
        if not (self.context.root / self.context.dockerfile).is_file():
            return {"image:content": "missing Dockerfile"}
        try:
            value = cached_content_hash(
                self.context, scope.excluded, scope.cache_dir, scope.cache_writable
            )
        except OSError as exc:
            return {"image:content": f"unreadable ({exc})"[:200]}
        _computed[self.context] = value
        return {"image:content": tag_of(value)}


def inputs(config: RayConfig) -> list[Input]:
    image = config.image
    return [
        ImageContent(BuildContext.of(config)),
        config_values(
            repository=image.repository,
            registry=image.registry,
            platform=image.platform,
            region=config.region,
        ),
        env("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_PROFILE"),
    ]


# --- The check ----------------------------------------------------------


@dataclass(frozen=True)
class Registry:
    """Where the image goes, and the ECR credentials that open it."""

    host: str
    username: str
    password: str = field(repr=False)
    is_ecr: bool = False

    def holds(self, ecr: Any, repository: str, tag: str) -> bool:
        if self.is_ecr:
            return _ecr_holds(ecr, repository, tag)
        return _v2_holds(self, repository, tag)


def run(ctx: Context, config: RayConfig) -> None:
    context = BuildContext.of(config)
    _require_files(context)
    # Limitation: when this process did not fingerprint the context (a check
    # run from other code), a --state-dir elsewhere inside the context is
    # hashed too, and the tag differs from the fingerprint's.
    full = _computed.get(context) or content_hash(
        context, (ctx.project / ".checkpoints",)
    )
    repository, tag = config.image.repository, tag_of(full)
    ecr = aws.client("ecr", config.region)
    registry = _open_registry(ctx, ecr, config)
    reference = f"{registry.host}/{repository}:{tag}"
    if registry.holds(ecr, repository, tag):
        logger.info("Found %s in the registry: no build needed", reference)
        ctx.ok(f"Image already in {reference} (no build needed)")
    else:
        _publish(ctx, context, registry, reference)
        if not registry.holds(ecr, repository, tag):
            raise CheckFailed(
                f"The push of {reference} finished but the registry does not "
                "list the tag: run flightcheck again; the push output is in the log"
            )
        where = "ECR" if registry.is_ecr else f"{registry.host} (image.registry)"
        ctx.ok(f"Image pushed to {where}: {reference}")
    ctx.record("image", reference)


def _publish(
    ctx: Context, context: BuildContext, registry: Registry, reference: str
) -> None:
    """Build the image and push it with a login kept out of the user's config."""
    docker = _docker()
    _warn_if_state_sent(ctx, context)
    ctx.info(f"Building image {reference} for {context.platform}...")
    _build(ctx, docker, context, reference)
    _push(docker, registry, reference)


def _require_files(context: BuildContext) -> None:
    if not context.root.is_dir():
        raise CheckFailed(
            f"The build context {context.root} does not exist: create it or set "
            "image.context in flightcheck.toml"
        )
    dockerfile = context.root / context.dockerfile
    if not dockerfile.is_file():
        raise CheckFailed(
            f"The Dockerfile {dockerfile} does not exist: create it or set "
            "image.dockerfile (relative to image.context) in flightcheck.toml"
        )


def _docker() -> str:
    docker = shutil.which("docker")
    if docker is None:
        raise CheckFailed(
            "The docker command is not on PATH, so the image cannot be built: "
            "install Docker (see check 4, Docker)"
        )
    docker_engine.engine_version(docker)
    return docker


def _warn_if_state_sent(ctx: Context, context: BuildContext) -> None:
    from docker.utils.build import PatternMatcher

    state = relative_dirs(context.root, (ctx.project / ".checkpoints",))
    if not state or not (context.root / state[0]).is_dir():
        return
    if not PatternMatcher(context.ignore_patterns()).matches(state[0] + "/x"):
        ctx.warn(
            f"The build context sends flightcheck's state directory {state[0]}/ "
            f"(with its key) to the engine: add `{state[0]}/` to "
            f"{context.root / '.dockerignore'}"
        )


# --- ECR and registries -------------------------------------------------


def _open_registry(ctx: Context, ecr: Any, config: RayConfig) -> Registry:
    """Make sure the ECR repository exists; the registry to push to, with its login."""
    from botocore.exceptions import BotoCoreError, ClientError

    repository = config.image.repository
    try:
        _ensure_repository(ctx, ecr, repository)
        data = ecr.get_authorization_token()["authorizationData"][0]
    except ClientError as exc:
        raise CheckFailed(
            f"ECR refused ({aws.error_code(exc)}) for repository {repository}: "
            "allow ecr:DescribeRepositories, ecr:CreateRepository and "
            "ecr:GetAuthorizationToken to these credentials (see check 5)"
        ) from None
    except BotoCoreError as exc:
        raise CheckFailed(
            f"ECR could not be reached ({exc}): fix the AWS credentials, region "
            "or AWS_ENDPOINT_URL (see check 2, AWS Credentials)"
        ) from None
    username, _, password = (
        base64.b64decode(data["authorizationToken"])
        .decode(errors="replace")
        .partition(":")
    )
    if config.image.registry:
        return Registry(config.image.registry, username, password, is_ecr=False)
    host = urllib.parse.urlsplit(data["proxyEndpoint"]).netloc
    return Registry(host, username, password, is_ecr=True)


def _ensure_repository(ctx: Context, ecr: Any, repository: str) -> None:
    from botocore.exceptions import ClientError

    try:
        ecr.describe_repositories(repositoryNames=[repository])
    except ClientError as exc:
        if aws.error_code(exc) != "RepositoryNotFoundException":
            raise
        ecr.create_repository(repositoryName=repository)
        ctx.info(f"Created ECR repository {repository}")


def _ecr_holds(ecr: Any, repository: str, tag: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
    except ClientError as exc:
        if aws.error_code(exc) == "ImageNotFoundException":
            return False
        raise CheckFailed(
            f"ECR DescribeImages failed ({aws.error_code(exc)}) for {repository}: "
            "allow ecr:DescribeImages to these credentials"
        ) from None
    return True


def _v2_holds(registry: Registry, repository: str, tag: str) -> bool:
    """Ask the registry's v2 API whether ``repository:tag`` has a manifest."""
    # Imported here: http.client, ssl and email cost ~15 ms, and every run
    # imports this module, including those that skip every check.
    import urllib.error
    import urllib.request

    host = urllib.parse.urlsplit("//" + registry.host).hostname or ""
    local = _LOOPBACK.fullmatch(host) is not None
    url = (
        f"{'http' if local else 'https'}://{registry.host}"
        f"/v2/{repository}/manifests/{tag}"
    )
    login = f"{registry.username}:{registry.password}".encode()
    request = urllib.request.Request(url, method="HEAD")
    request.add_header("Authorization", "Basic " + base64.b64encode(login).decode())
    request.add_header("Accept", _MANIFEST_TYPES)
    # A proxy from the environment must not see a loopback registry's traffic.
    handlers = [urllib.request.ProxyHandler({})] if local else []
    opener = urllib.request.build_opener(*handlers)
    try:
        opener.open(request, timeout=REGISTRY_TIMEOUT_S).close()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return False
        raise CheckFailed(
            f"The registry {registry.host} answered HTTP {exc.code} for "
            f"{repository}:{tag}: check image.registry in flightcheck.toml and "
            "that it accepts the ECR credentials"
        ) from None
    except OSError as exc:
        reason = getattr(exc, "reason", exc)
        raise CheckFailed(
            f"The registry {registry.host} cannot be reached ({reason}): start it "
            "or fix image.registry in flightcheck.toml"
        ) from None
    return True


# --- docker build, login, push ------------------------------------------


def _build(ctx: Context, docker: str, context: BuildContext, reference: str) -> None:
    command = [docker, "build", "--platform", context.platform]
    command += ["-f", str(context.root / context.dockerfile), "-t", reference]
    for name, value in context.build_args:
        command += ["--build-arg", f"{name}={value}"]
    command.append(str(context.root))
    code, tail = _stream("build", command, dict(os.environ), ctx.info)
    if code != 0:
        raise CheckFailed(
            f"docker build failed (exit {code}); fix {context.dockerfile} or the "
            "context (full output in the log). Its last lines:\n"
            + "\n".join(f"      {line}" for line in tail)
        )


def _push(docker: str, registry: Registry, reference: str) -> None:
    with _temporary_docker_config() as environ:
        user = registry.username
        login = subprocess.run(
            [docker, "login", "--username", user, "--password-stdin", registry.host],
            input=registry.password,
            capture_output=True,
            text=True,
            env=environ,
            timeout=REGISTRY_TIMEOUT_S * 2,
            check=False,
        )
        for line in (login.stdout + login.stderr).splitlines():
            logger.info("docker login | %s", line)
        if login.returncode != 0:
            raise CheckFailed(
                f"docker login to {registry.host} failed "
                f"({docker_engine.short_error(login.stderr)}): check the AWS "
                "credentials (check 2) and image.registry in flightcheck.toml"
            )
        code, tail = _stream("push", [docker, "push", reference], environ, None)
    if code != 0:
        raise CheckFailed(
            f"docker push {reference} failed (exit {code}); full output in the "
            "log. Its last lines:\n" + "\n".join(f"      {line}" for line in tail)
        )


@contextlib.contextmanager
def _temporary_docker_config() -> Iterator[dict[str, str]]:
    """An environment whose Docker config keeps the login out of ~/.docker."""
    user_dir = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    with tempfile.TemporaryDirectory(prefix="flightcheck-docker-") as temporary:
        settings = _user_settings(user_dir / "config.json")
        kept = {k: v for k, v in settings.items() if k not in _CREDENTIAL_KEYS}
        (Path(temporary) / "config.json").write_text(json.dumps(kept))
        # The contexts stay reachable, so DOCKER_CONTEXT and the current
        # context still name the same engine.
        if (user_dir / "contexts").is_dir():
            os.symlink(user_dir / "contexts", Path(temporary) / "contexts")
        yield {**os.environ, "DOCKER_CONFIG": temporary}


def _user_settings(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _stream(
    name: str,
    command: list[str],
    environ: Mapping[str, str],
    progress: Callable[[str], None] | None,
) -> tuple[int, list[str]]:
    """Run ``command``, logging each line; the exit code and the last lines."""
    logger.info("Running: %s", " ".join(command))
    tail: deque[str] = deque(maxlen=OUTPUT_TAIL)
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=dict(environ),
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        try:
            for raw in process.stdout:
                line = raw.rstrip()
                logger.info("docker %s | %s", name, line)
                tail.append(line)
                if progress is not None and _STEP.match(line):
                    progress(line)
        except BaseException:
            # A timeout or Ctrl+C: the build must not go on without us.
            process.kill()
            raise
    return process.returncode, list(tail)
