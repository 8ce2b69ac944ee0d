"""Check 7: the bucket name is no placeholder, follows S3's rules, and is usable.

Usable means HeadBucket says the name is free (404) or the bucket is the
caller's (200) in the project's region; a bucket of another account (403) or
in another region (301, or a ``x-amz-bucket-region`` header naming another
region) is a failure.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from flightcheck import Context, Level
from flightcheck.inputs import Input, files
from flightcheck.inputs import config as values
from flightcheck.ray import cfn
from flightcheck.ray.config import RayConfig
from flightcheck.ray.inputs import region_sources

#: Fragments that only a name nobody has chosen yet contains.
_PLACEHOLDER_FRAGMENTS = (
    "replace",
    "change-me",
    "change_me",
    "changeme",
    "placeholder",
    "example",
    "your-",
    "your_",
    "yourbucket",
    "unique-name",
    "<",
    ">",
    "{",
    "}",
    "$",
    "...",
)
#: Words that are placeholders when they stand alone between separators.
_PLACEHOLDER_WORDS = frozenset({"todo", "tbd", "fixme", "dummy", "xxx", "xxxx"})
_PLACEHOLDER_NAMES = frozenset(
    {"bucket", "bucket-name", "bucketname", "my-bucket", "mybucket", "s3-bucket"}
)
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_ALLOWED = re.compile(r"[a-z0-9.\-]")


def inputs(config: RayConfig) -> list[Input]:
    found: list[Input] = [
        files(config.cloudformation.parameters),
        values(
            bucket_parameter=config.cloudformation.bucket_parameter,
            region=config.region,
        ),
    ]
    return found + region_sources(config)


def run(ctx: Context, config: RayConfig) -> None:
    param = config.cloudformation.bucket_parameter
    relative = config.cloudformation.parameters
    try:
        name = cfn.load_parameters(config).get(param)
    except cfn.CfnFileError as exc:
        for line in exc.lines:
            ctx.fail(line)
        return
    if name is None:
        ctx.fail(
            f'{relative} has no {param}: add {{"ParameterKey": "{param}", '
            '"ParameterValue": "<a globally unique bucket name>"}'
        )
        return
    fix = f"edit {relative}: set {param} to a globally unique name"
    if not name or placeholder(name):
        ctx.fail(f'{param} is still the placeholder value "{name}": {fix}')
        return
    problems = naming_problems(name)
    for problem in problems:
        ctx.fail(f'{param} "{name}" {problem}: {fix}')
    if not problems:
        _check_usable(ctx, config, name, fix)


def placeholder(name: str) -> str | None:
    """The part of ``name`` that shows nobody chose it yet, else ``None``."""
    lowered = name.lower()
    if lowered in _PLACEHOLDER_NAMES:
        return lowered
    for fragment in _PLACEHOLDER_FRAGMENTS:
        if fragment in lowered:
            return fragment
    for word in re.split(r"[^a-z0-9]+", lowered):
        if word in _PLACEHOLDER_WORDS:
            return word
    return None


def naming_problems(name: str) -> list[str]:
    """Each S3 bucket naming rule ``name`` breaks, in words."""
    problems = []
    if not 3 <= len(name) <= 63:
        problems.append(f"is {len(name)} characters long; S3 allows 3 to 63")
    if any(char.isupper() for char in name):
        problems.append("has uppercase letters; S3 bucket names are lowercase")
    others = sorted({c for c in name.lower() if not _ALLOWED.fullmatch(c)})
    if others:
        shown = " ".join(repr(c) for c in others)
        problems.append(
            f"has characters S3 does not allow ({shown}); use lowercase letters, "
            "digits, dots and hyphens"
        )
    if name and not _letter_or_digit(name[0]):
        problems.append("must start with a letter or a digit")
    if name and not _letter_or_digit(name[-1]):
        problems.append("must end with a letter or a digit")
    if ".." in name:
        problems.append("has two dots in a row")
    if _is_ip_address(name):
        problems.append("is shaped like an IP address")
    problems += [
        f'starts with "{prefix}", which S3 reserves'
        for prefix in _RESERVED_PREFIXES
        if name.lower().startswith(prefix)
    ]
    problems += [
        f'ends with "{suffix}", which S3 reserves'
        for suffix in _RESERVED_SUFFIXES
        if name.lower().endswith(suffix)
    ]
    return problems


def _letter_or_digit(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return bool(re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name))
    return True


def availability(
    name: str,
    status: int,
    bucket_region: str,
    region: str,
    owned: bool | None,
    fix: str = "choose another name",
) -> tuple[Level, str]:
    """What HeadBucket's answer means for the stack, as a level and the words.

    ``bucket_region`` is S3's ``x-amz-bucket-region`` header (``""`` when
    absent); ``owned`` whether ListBuckets shows the caller owns the bucket
    (``None`` when it could not be asked); ``fix`` how to choose another name.
    """
    if status == 404:
        return Level.PASS, f"{name} (available)"
    if status == 403 and owned:
        return Level.FAIL, (
            f"{name} is in your account, but HeadBucket was denied: allow "
            f"s3:ListBucket on arn:aws:s3:::{name} for your identity"
        )
    if status == 403:
        return Level.FAIL, f"{name} is taken by another AWS account: {fix}"
    if status not in (200, 301):
        return Level.FAIL, (
            f"S3 answered HeadBucket {name} with HTTP {status}: check the name "
            "and your access to S3, then run again"
        )
    other_region = bool(bucket_region and region) and bucket_region != region
    if other_region or (status == 301 and bucket_region != region):
        whose = " in your account" if owned else ""
        return Level.FAIL, (
            f"{name} already exists{whose} in {bucket_region or 'another region'}, "
            f"not in {region or 'your region'}: {fix}"
        )
    if owned is None:
        return Level.WARN, (
            f"{name} exists and answers you, but ListBuckets could not confirm "
            "your account owns it: allow s3:ListAllMyBuckets to be sure"
        )
    if not owned:
        return Level.FAIL, (
            f"{name} belongs to another AWS account (it lets you read it, but "
            f"you do not own it): {fix}"
        )
    return Level.PASS, f"{name} (exists in your account)"


def _check_usable(ctx: Context, config: RayConfig, name: str, fix: str) -> None:
    from flightcheck.ray import aws

    param = config.cloudformation.bucket_parameter
    s3 = aws.client("s3", config.region)
    try:
        status, bucket_region = _head(s3, name)
    except Exception as exc:  # noqa: BLE001 - any failure to ask is reported
        ctx.fail(
            f"could not ask S3 whether {name} is free ({_reason(exc)}): check the "
            "network and your AWS credentials, then run again"
        )
        return
    owned = None if status == 404 else _owned(s3, name)
    region = aws.region_of(config.region)
    level, text = availability(name, status, bucket_region, region, owned, fix)
    say = {Level.PASS: ctx.ok, Level.WARN: ctx.warn}.get(level, ctx.fail)
    say(f"{param}: {text}")
    if "." in name and level is Level.PASS:
        ctx.warn(
            f"{param}: {name} has dots: HTTPS to the bucket's virtual host and "
            "Transfer Acceleration do not work with them; prefer hyphens"
        )


def _head(s3: Any, name: str) -> tuple[int, str]:
    """HeadBucket's HTTP status and the bucket's region header."""
    from botocore.exceptions import ClientError

    try:
        response = s3.head_bucket(Bucket=name)
    except ClientError as exc:
        response = exc.response
    meta = response.get("ResponseMetadata", {})
    headers = meta.get("HTTPHeaders", {})
    return int(meta.get("HTTPStatusCode", 0)), str(
        headers.get("x-amz-bucket-region", "")
    )


def _owned(s3: Any, name: str) -> bool | None:
    """Whether the caller's account owns bucket ``name``; ``None`` if unknown."""
    from botocore.exceptions import ClientError

    try:
        listed = s3.list_buckets(Prefix=name)
    except ClientError:
        return None
    return any(bucket.get("Name") == name for bucket in listed.get("Buckets", []))


def _reason(exc: BaseException) -> str:
    from flightcheck.ray import aws

    code = aws.error_code(exc)
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"{code}: {text}" if code and code not in text else text
