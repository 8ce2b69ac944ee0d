"""The built-in suite: what a team runs before ``aws cloudformation create-stack``."""

from __future__ import annotations

from pathlib import Path

from flightcheck import prepare, title
from flightcheck.ray import catalog, config

title("Ray Pipeline")


@prepare
def _validate(project: Path) -> None:
    config.load(project)


for _entry in catalog.CATALOG:
    catalog.declare(_entry)
