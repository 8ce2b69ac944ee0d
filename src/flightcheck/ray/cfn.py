"""The CloudFormation template and its parameters file, as the checks read them.

The template is decoded by cfn-lint, which understands the short-form tags
(``!Ref``, ``!GetAtt``, ``!Sub``...) and JSON alike. The parameters file is
the JSON list ``aws cloudformation create-stack --parameters file://...``
takes. A file that cannot be used raises ``CfnFileError``, whose lines each
say what is wrong and how to fix it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flightcheck.ray.config import RayConfig

#: The fields ``create-stack`` accepts in one entry of the parameters file.
_ENTRY_FIELDS = frozenset(
    {"ParameterKey", "ParameterValue", "UsePreviousValue", "ResolvedValue"}
)
_SHAPE = '{"ParameterKey": "...", "ParameterValue": "..."}'


class CfnFileError(Exception):
    """A file the checks need is missing or malformed."""

    def __init__(self, *lines: str) -> None:
        super().__init__(lines[0])
        self.lines = lines


@dataclass(frozen=True)
class Template:
    """A decoded template: its text, resources and parameters."""

    relative: str
    text: str
    #: Logical id -> resource type.
    resources: Mapping[str, str]
    #: Parameter name -> whether it declares a Default.
    parameters: Mapping[str, bool]

    def count(self, resource_type: str) -> int:
        """How many resources of ``resource_type`` the stack creates."""
        return sum(1 for kind in self.resources.values() if kind == resource_type)


def load_template(config: RayConfig) -> Template:
    """The project's template, decoded; ``CfnFileError`` says why it cannot be."""
    from cfnlint.decode import decode_str

    relative = config.cloudformation.template
    text = _read(config, relative, "cloudformation.template", "template")
    body, errors = decode_str(text)
    if errors:
        raise CfnFileError(
            *(
                f"{relative} line {m.linenumber} does not parse: {m.message}: "
                "fix the YAML or JSON there"
                for m in errors
            )
        )
    if not isinstance(body, Mapping):
        raise CfnFileError(
            f"{relative} is not a CloudFormation template: it must be an object "
            "with a Resources section"
        )
    return Template(relative, text, _resources(body), _parameters(body))


def _resources(body: Mapping[str, Any]) -> dict[str, str]:
    section = body.get("Resources")
    if not isinstance(section, Mapping):
        return {}
    return {
        str(name): str(resource.get("Type", ""))
        for name, resource in section.items()
        if isinstance(resource, Mapping)
    }


def _parameters(body: Mapping[str, Any]) -> dict[str, bool]:
    section = body.get("Parameters")
    if not isinstance(section, Mapping):
        return {}
    return {
        str(name): isinstance(declared, Mapping) and "Default" in declared
        for name, declared in section.items()
    }


def load_parameters(config: RayConfig) -> dict[str, str]:
    """ParameterKey -> ParameterValue from the parameters file."""
    relative = config.cloudformation.parameters
    text = _read(config, relative, "cloudformation.parameters", "parameters file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CfnFileError(
            f"{relative} is not valid JSON (line {exc.lineno} column {exc.colno}: "
            f"{exc.msg}): fix it; it must be a list of {_SHAPE} objects"
        ) from None
    if not isinstance(data, list):
        raise CfnFileError(
            f"{relative} must be a JSON list of {_SHAPE} objects, the form "
            "`aws cloudformation create-stack --parameters file://...` takes; "
            f"it holds {_kind(data)}"
        )
    values: dict[str, str] = {}
    problems = [p for n, e in enumerate(data, 1) for p in _entry(e, n, values)]
    if problems:
        raise CfnFileError(*(f"{relative}: {problem}" for problem in problems))
    return values


def _entry(entry: object, number: int, values: dict[str, str]) -> list[str]:
    """What is wrong with one entry; a good one is added to ``values``."""
    if not isinstance(entry, dict):
        return [f"entry {number} is {_kind(entry)}: make it a {_SHAPE} object"]
    key = entry.get("ParameterKey")
    if not isinstance(key, str) or not key:
        return [f'entry {number} has no "ParameterKey" string: add one']
    problems = [
        f'{key}: unknown field "{field}": remove it; the fields are '
        + ", ".join(sorted(_ENTRY_FIELDS))
        for field in sorted(set(entry) - _ENTRY_FIELDS)
    ]
    value = entry.get("ParameterValue")
    if not isinstance(value, str):
        problems.append(
            f'{key}: "ParameterValue" must be a string, not {_kind(value)}: '
            'write it in quotes, e.g. "ParameterValue": "4"'
        )
    elif key in values:
        problems.append(f"{key} is given twice (entry {number}): keep one")
    else:
        values[key] = value
    return problems


def _read(config: RayConfig, relative: str, key: str, what: str) -> str:
    path = config.path(relative)
    if not path.is_file():
        raise CfnFileError(
            f"{relative} does not exist: create the {what} there, or set "
            f"{key} in flightcheck.toml to where it is"
        )
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise CfnFileError(
            f"{relative} cannot be read ({reason}): make it a readable UTF-8 file"
        ) from None


def _kind(value: object) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "true/false",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)
