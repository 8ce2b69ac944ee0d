"""``flightcheck.toml``: how a Ray pipeline project describes itself.

Every key has a default that fits the spec's layout, so such a project needs
almost nothing in the file. A mistake (an unknown section or key, a wrong
type, a file the configuration names that does not exist) is one line that
names the key and the file.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flightcheck.errors import ConfigError
from flightcheck.suite import CONFIG_NAME, read_config

DEFAULT_NAME = "ray-pipeline"
DEFAULT_TEMPLATE = "2_cloudformation/template.yaml"
DEFAULT_PARAMETERS = "2_cloudformation/cloudformation-parameters.json"


@dataclass(frozen=True)
class CloudFormation:
    template: str = DEFAULT_TEMPLATE
    parameters: str = DEFAULT_PARAMETERS
    bucket_parameter: str = "S3BucketName"


@dataclass(frozen=True)
class Image:
    context: str = "."
    dockerfile: str = "Dockerfile"
    repository: str = DEFAULT_NAME
    platform: str = "linux/amd64"
    #: Push here (``host:port``) instead of the ECR endpoint, when set.
    registry: str = ""
    build_args: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Aws:
    #: The oldest AWS CLI accepted; below 2 passes with a warning unless set.
    cli_min_version: str = ""
    #: Actions the deployment needs beyond the built-in list.
    extra_permissions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ray:
    head_instance_type: str = "m5.xlarge"
    worker_instance_type: str = "m5.2xlarge"
    max_workers: int = 4


@dataclass(frozen=True)
class RayConfig:
    """A project's settings, with every path relative to ``root``."""

    root: Path
    name: str = DEFAULT_NAME
    region: str = ""
    cloudformation: CloudFormation = field(default_factory=CloudFormation)
    image: Image = field(default_factory=Image)
    #: Environment variable -> Secrets Manager secret name.
    secrets: Mapping[str, str] = field(default_factory=dict)
    aws: Aws = field(default_factory=Aws)
    ray: Ray = field(default_factory=Ray)

    def path(self, relative: str) -> Path:
        return self.root / relative


_SECTIONS: dict[str, type] = {
    "cloudformation": CloudFormation,
    "image": Image,
    "aws": Aws,
    "ray": Ray,
}
_PROJECT_KEYS = {"name": str, "region": str, "suite": str}


@functools.lru_cache(maxsize=8)
def load(root: Path) -> RayConfig:
    """The project's configuration; ``ConfigError`` names what is wrong."""
    raw = read_config(root)
    where = root / CONFIG_NAME
    unknown = set(raw) - {"project", "secrets", *_SECTIONS}
    if unknown:
        expected = ", ".join(["project", "secrets", *_SECTIONS])
        first = sorted(unknown)[0]
        raise ConfigError(
            f"{where}: unknown section [{first}]; the sections are {expected}"
        )
    project = _table(raw, "project", where)
    for key, value in project.items():
        if key not in _PROJECT_KEYS:
            raise ConfigError(f"{where}: unknown key project.{key}")
        _expect(value, str, f"project.{key}", where)
    name = project.get("name", DEFAULT_NAME)
    sections = {key: _section(raw, key, kind, where) for key, kind in _SECTIONS.items()}
    if "repository" not in _table(raw, "image", where):
        sections["image"] = _replace(sections["image"], repository=name)
    config = RayConfig(
        root=root,
        name=name,
        region=project.get("region", ""),
        secrets=_secrets(raw, name, where),
        **sections,
    )
    _check_named_files(raw, config, where)
    return config


def _secrets(raw: dict[str, Any], name: str, where: Path) -> dict[str, str]:
    if "secrets" not in raw:
        return {
            "OPENAI_API_KEY": f"{name}/openai-api-key",
            "PINECONE_API_KEY": f"{name}/pinecone-api-key",
        }
    table = _table(raw, "secrets", where)
    for variable, secret_name in table.items():
        _expect(secret_name, str, f"secrets.{variable}", where)
    return dict(table)


def _section(raw: dict[str, Any], key: str, kind: type, where: Path) -> Any:
    table = _table(raw, key, where)
    defaults = kind()
    values: dict[str, Any] = {}
    for name, value in table.items():
        if not hasattr(defaults, name):
            raise ConfigError(f"{where}: unknown key {key}.{name}")
        values[name] = _coerce(value, getattr(defaults, name), f"{key}.{name}", where)
    return kind(**values)


def _coerce(value: Any, default: Any, key: str, where: Path) -> Any:
    if isinstance(default, tuple):
        _expect(value, list, key, where)
        for item in value:
            _expect(item, str, key, where, "a list of strings")
        return tuple(value)
    if isinstance(default, Mapping):
        _expect(value, dict, key, where)
        for item in value.values():
            _expect(item, str, key, where, "a table of strings")
        return dict(value)
    _expect(value, type(default), key, where)
    return value


def _table(raw: dict[str, Any], key: str, where: Path) -> dict[str, Any]:
    table = raw.get(key, {})
    _expect(table, dict, key, where, "a table")
    return dict(table)


_TYPE_WORDS = {str: "a string", int: "a whole number", list: "a list", dict: "a table"}


def _expect(value: Any, kind: type, key: str, where: Path, words: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, kind):
        wanted = words or _TYPE_WORDS.get(kind, kind.__name__)
        raise ConfigError(f"{where}: {key} must be {wanted}, not {value!r}")


def _replace(image: Image, **changes: Any) -> Image:
    values = {**image.__dict__, **changes}
    return Image(**values)


def _check_named_files(raw: dict[str, Any], config: RayConfig, where: Path) -> None:
    """A file the configuration names must exist; a default path may be missing."""
    named = {
        "cloudformation.template": config.cloudformation.template,
        "cloudformation.parameters": config.cloudformation.parameters,
        "image.context": config.image.context,
        "image.dockerfile": str(Path(config.image.context) / config.image.dockerfile),
    }
    for key, relative in named.items():
        section, _, name = key.partition(".")
        if name in raw.get(section, {}) and not config.path(relative).exists():
            raise ConfigError(f"{where}: {key} names {relative}, which does not exist")
