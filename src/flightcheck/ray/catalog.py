"""The ten Ray-on-AWS checks as data: number order, ids, names, and how they relate.

Numbers and names are the original script's. Each check's code is a module
of ``flightcheck.ray.checks`` exposing ``inputs(config)`` and
``run(ctx, config)``; ``declare`` turns an entry into a registered check.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass

from flightcheck import Context, __version__, check, config
from flightcheck.ray import config as ray_config
from flightcheck.ray.inputs import FromConfig


@dataclass(frozen=True)
class Entry:
    module: str
    id: str
    name: str
    needs: tuple[str, ...] = ()
    ttl: str | None = None
    timeout: str | None = None


CATALOG = (
    Entry("awscli", "aws-cli", "AWS CLI", timeout="60s"),
    Entry("credentials", "aws-credentials", "AWS Credentials", ttl="1h", timeout="2m"),
    Entry(
        "region",
        "aws-region",
        "AWS Region",
        needs=("aws-credentials",),
        ttl="1d",
        timeout="2m",
    ),
    Entry("docker_engine", "docker", "Docker", ttl="1h", timeout="2m"),
    Entry(
        "permissions",
        "aws-permissions",
        "AWS Permissions",
        needs=("aws-credentials",),
        ttl="1h",
        timeout="5m",
    ),
    Entry(
        "secrets",
        "api-keys",
        "API Keys → Secrets Manager",
        needs=("aws-credentials",),
        # A secret deleted after it passed is noticed within a day.
        ttl="1d",
        timeout="2m",
    ),
    Entry(
        "bucket",
        "s3-bucket",
        "S3 Bucket Name",
        needs=("aws-credentials",),
        ttl="1d",
        timeout="2m",
    ),
    Entry(
        "image",
        "docker-image",
        "Docker Image — Build & Push to ECR",
        needs=("aws-credentials", "docker"),
        timeout="45m",
    ),
    Entry(
        "quotas",
        "service-quotas",
        "AWS Service Quotas",
        needs=("aws-region",),
        ttl="1h",
        timeout="5m",
    ),
    Entry(
        "template", "cloudformation-template", "CloudFormation Template", timeout="5m"
    ),
)


def find(module: str) -> Entry:
    """The entry implemented by ``flightcheck.ray.checks.<module>``."""
    for entry in CATALOG:
        if entry.module == module:
            return entry
    raise KeyError(module)


def declare(entry: Entry, needs: Sequence[str] | None = None) -> None:
    """Register ``entry`` as the next check of the suite being loaded."""
    code = importlib.import_module(f"flightcheck.ray.checks.{entry.module}")

    def run(ctx: Context) -> None:
        code.run(ctx, ray_config.load(ctx.project))

    # Every built-in check shares this function, so its code says nothing of
    # the check; the module and flightcheck's version stand in for it.
    implementation = config(implementation=f"{entry.module}@{__version__}")
    check(
        entry.id,
        entry.name,
        needs=entry.needs if needs is None else needs,
        inputs=[implementation, FromConfig(code.inputs)],
        ttl=entry.ttl,
        timeout=entry.timeout,
    )(run)
