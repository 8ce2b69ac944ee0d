"""Finding and loading the suite a project runs: a Python file or a module."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from flightcheck.checks import Registry, collecting
from flightcheck.errors import ConfigError, FlightcheckError

CONFIG_NAME = "flightcheck.toml"
SUITE_FILE_NAME = "flightcheck_checks.py"
BUILTIN_SUITE = "flightcheck.ray.suite"


@dataclass(frozen=True)
class Source:
    """Where a suite comes from: a file path or an importable module name."""

    spec: str
    is_file: bool

    def __str__(self) -> str:
        return self.spec


def choose(project: Path, override: str | None) -> Source:
    """The suite to run: ``--suite``, else the project's setting, else the built-in."""
    if override:
        return _classify(override, Path.cwd())
    configured = read_config(project).get("project", {}).get("suite")
    if configured is not None:
        if not isinstance(configured, str) or not configured:
            raise ConfigError(
                f"{project / CONFIG_NAME}: project.suite must be a non-empty string"
            )
        return _classify(configured, project)
    if (project / SUITE_FILE_NAME).is_file():
        return Source(str(project / SUITE_FILE_NAME), is_file=True)
    return Source(BUILTIN_SUITE, is_file=False)


def _classify(spec: str, base: Path) -> Source:
    if spec.endswith(".py") or "/" in spec or "\\" in spec:
        path = Path(spec).expanduser()
        return Source(str(path if path.is_absolute() else base / path), is_file=True)
    return Source(spec, is_file=False)


def read_config(project: Path) -> dict[str, Any]:
    """The project's ``flightcheck.toml`` as a dict; empty when there is none."""
    path = project / CONFIG_NAME
    if not path.is_file():
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        # tomli is installed only where tomllib is missing, so mypy on 3.11+
        # cannot see it.
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    try:
        with path.open("rb") as stream:
            data: dict[str, Any] = tomllib.load(stream)
            return data
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None


def load(source: Source) -> Registry:
    """Import the suite with a fresh registry and return the checks it declared."""
    registry = Registry()
    with collecting(registry):
        try:
            _import(source)
        except FlightcheckError as exc:
            raise ConfigError(f"suite {source}: {exc}") from None
        except SyntaxError as exc:
            where = f"{exc.filename}:{exc.lineno}" if exc.filename else str(source)
            raise ConfigError(f"suite {where}: syntax error: {exc.msg}") from None
        except Exception as exc:  # noqa: BLE001 - the user's code may raise anything
            problem = f"{type(exc).__name__}: {exc}"
            raise ConfigError(
                f"suite {source} failed at {_where(exc)}: {problem}"
            ) from None
    if not registry.checks:
        raise ConfigError(
            f"suite {source} declares no checks: decorate functions with @check"
        )
    return registry


def _import(source: Source) -> ModuleType:
    if source.is_file:
        path = Path(source.spec)
        if not path.is_file():
            raise ConfigError(f"the suite file {path} does not exist")
        name = (
            "flightcheck_suite_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
        )
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ConfigError(f"cannot import the suite file {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    if source.spec in sys.modules:
        return importlib.reload(sys.modules[source.spec])
    try:
        return importlib.import_module(source.spec)
    except ModuleNotFoundError as exc:
        if exc.name and source.spec.startswith(exc.name):
            raise ConfigError(
                f"no suite module named {source.spec!r}: give a module on sys.path "
                "or a path to a .py file"
            ) from None
        raise


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "import"
    last = frames[-1]
    return f"{last.filename}:{last.lineno}"
