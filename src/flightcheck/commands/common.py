"""What every command resolves first: the project, its state and its suite."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from flightcheck import suite as suites
from flightcheck.checks import Registry
from flightcheck.errors import UsageError
from flightcheck.inputs import Fingerprint, Scope, fingerprint
from flightcheck.planner import Mode


@dataclass(frozen=True)
class Target:
    """The project directory, its state directory and the suite it runs."""

    project: Path
    state_dir: Path
    suite: str | None

    @classmethod
    def resolve(
        cls, project: str | None, state_dir: str | None, suite: str | None
    ) -> Target:
        root = Path(project or ".").expanduser().resolve()
        if not root.is_dir():
            raise UsageError(
                f"the project directory {root} does not exist: check --project"
            )
        state = (
            Path(state_dir).expanduser().resolve()
            if state_dir
            else root / ".checkpoints"
        )
        return cls(project=root, state_dir=state, suite=suite)


def fingerprint_all(
    target: Target,
    suite: Registry,
    environ: Mapping[str, str],
    key: bytes | None,
    *,
    write_cache: bool,
) -> dict[str, Fingerprint]:
    """Every check's fingerprint as the project stands now, by check id."""
    scope = Scope(
        target.project,
        environ,
        key,
        excluded=(target.state_dir,),
        cache_dir=target.state_dir / "cache",
        cache_writable=write_cache,
    )
    return {item.id: fingerprint(item, scope) for item in suite.checks}


def load_target(target: Target, mode: Mode) -> Registry:
    """Load the suite and check that ``--from-check`` names one of its checks."""
    registry = suites.load(suites.choose(target.project, target.suite))
    if registry.prepare is not None:
        registry.prepare(target.project)
    count = len(registry.checks)
    if mode.start is not None and not 1 <= mode.start <= count:
        raise UsageError(
            f"--from-check {mode.start} is out of range: the checks are 1..{count}"
        )
    return registry
