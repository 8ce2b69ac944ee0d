"""AWS clients: boto3 with botocore's standard retries and explicit timeouts.

The endpoint, profile, credentials and region come from the usual AWS
settings (``AWS_ENDPOINT_URL``, ``AWS_PROFILE``, ``AWS_REGION``, ``~/.aws``),
so the same code talks to AWS and to a local emulator. boto3 is imported
only here, and only when a check that needs it runs.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3

CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 30
MAX_ATTEMPTS = 4


@functools.lru_cache(maxsize=4)
def session(region: str = "") -> boto3.session.Session:
    """One session per region for the whole run; ``""`` means the AWS settings'."""
    import boto3

    # botocore reads AWS_DEFAULT_REGION only; the AWS CLI v2 and the other
    # SDKs let AWS_REGION win, and so do we.
    return boto3.session.Session(
        region_name=region or os.environ.get("AWS_REGION") or None
    )


def client(service: str, region: str = "") -> Any:
    """A client for ``service`` with standard retries and bounded timeouts."""
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=READ_TIMEOUT_S,
    )
    return session(region).client(service, config=config)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError``, else ``""``."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def region_of(region: str = "") -> str:
    """The region a client would use: the configured one or the AWS settings'."""
    return region or session(region).region_name or ""
