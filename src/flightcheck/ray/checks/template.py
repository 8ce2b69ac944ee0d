"""Check 10: the CloudFormation template parses, passes cfn-lint, and gets its values.

The parameters file must give a value to every template parameter without a
Default and name no parameter the template lacks, as ``create-stack``
requires.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flightcheck import Context
from flightcheck.inputs import Input, files
from flightcheck.inputs import config as values
from flightcheck.ray import cfn
from flightcheck.ray.config import RayConfig
from flightcheck.ray.inputs import region_sources

#: More lines than this of one severity are summarised in one line.
MAX_LINES = 20
_FALLBACK_REGION = "us-east-1"


def inputs(config: RayConfig) -> list[Input]:
    found: list[Input] = [
        files(config.cloudformation.template, config.cloudformation.parameters),
        values(region=config.region),
    ]
    return found + region_sources(config)


def run(ctx: Context, config: RayConfig) -> None:
    try:
        template = cfn.load_template(config)
    except cfn.CfnFileError as exc:
        for line in exc.lines:
            ctx.fail(line)
        return
    _lint(ctx, template, _region(ctx, config))
    _compare_parameters(ctx, config, template)


def _region(ctx: Context, config: RayConfig) -> str:
    """The region cfn-lint checks resource types against."""
    from cfnlint.helpers import REGIONS

    from flightcheck.ray import aws

    region = aws.region_of(config.region) or _FALLBACK_REGION
    if region not in REGIONS:
        ctx.info(f"cfn-lint does not know {region}: linting for {_FALLBACK_REGION}")
        return _FALLBACK_REGION
    return region


def _lint(ctx: Context, template: cfn.Template, region: str) -> None:
    import cfnlint.api

    matches = cfnlint.api.lint(template.text, regions=[region])
    errors = [m for m in matches if m.rule.severity == "error"]
    warnings = [m for m in matches if m.rule.severity == "warning"]
    _report(ctx.fail, template.relative, errors)
    _report(ctx.warn, template.relative, warnings)
    if not errors:
        noted = f" ({_plural(len(warnings), 'cfn-lint warning')})" if warnings else ""
        ctx.ok(
            f"Template valid: {_plural(len(template.resources), 'resource')}, "
            f"{_plural(len(template.parameters), 'parameter')}{noted}"
        )


def _report(say: Callable[[str], None], relative: str, matches: Sequence[Any]) -> None:
    for match in matches[:MAX_LINES]:
        say(f"{match.rule.id} at {relative} line {match.linenumber}: {match.message}")
    if len(matches) > MAX_LINES:
        say(
            f"... and {len(matches) - MAX_LINES} more: run `cfn-lint {relative}` "
            "to see them all"
        )


def _compare_parameters(
    ctx: Context, config: RayConfig, template: cfn.Template
) -> None:
    try:
        given = cfn.load_parameters(config)
    except cfn.CfnFileError as exc:
        for line in exc.lines:
            ctx.fail(line)
        return
    relative = config.cloudformation.parameters
    problems = parameter_problems(template.parameters, given, template.relative)
    for problem in problems:
        ctx.fail(f"{relative}: {problem}")
    if not problems:
        defaults = len(set(template.parameters) - set(given))
        ctx.ok(
            f"Parameters complete: {len(given)} given in {relative}, "
            f"{defaults} left to their defaults"
        )


def parameter_problems(
    declared: Mapping[str, bool], given: Mapping[str, str], template: str
) -> list[str]:
    """What ``create-stack`` would reject: values missing, or for no parameter.

    ``declared`` maps each parameter of ``template`` to whether it has a Default.
    """
    problems = [
        f"no value for {name}, which {template} declares without a Default: "
        f'add {{"ParameterKey": "{name}", "ParameterValue": "..."}}'
        for name, has_default in declared.items()
        if not has_default and name not in given
    ]
    problems += [
        f"{key} is not a parameter of {template}: remove it from this file, "
        "or declare it under Parameters in the template"
        for key in given
        if key not in declared
    ]
    return problems


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
