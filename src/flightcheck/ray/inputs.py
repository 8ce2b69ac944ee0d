"""Inputs that depend on the project's ``flightcheck.toml``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flightcheck.inputs import Fingerprint, Input, Scope, env
from flightcheck.ray import config
from flightcheck.ray.config import RayConfig


@dataclass(frozen=True)
class FromConfig:
    """The inputs ``make`` derives from the configuration of the project at hand."""

    make: Callable[[config.RayConfig], Sequence[Input]]

    def collect(self, scope: Scope) -> Fingerprint:
        found: Fingerprint = {}
        for declared in self.make(config.load(scope.project)):
            found.update(declared.collect(scope))
        return found


def region_sources(config: RayConfig) -> list[Input]:
    """Where the region comes from when flightcheck.toml does not name one."""
    if config.region:
        return []
    return [env("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE")]
