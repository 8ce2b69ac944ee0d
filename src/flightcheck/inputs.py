"""Declared inputs of a check and the fingerprints made of them.

A fingerprint maps a readable label (``file:Dockerfile``, ``env:AWS_PROFILE``)
to a short digest, so that a change can be named, not only noticed. Digests
are of project-relative paths and contents, never of absolute paths, so a
checkpoint restored on another machine still matches there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import CodeType
from typing import Protocol

from flightcheck.checks import Check

Fingerprint = dict[str, str]

_DIGEST_CHARS = 32
_CHUNK = 1 << 20
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class Scope:
    """What fingerprinting may look at: the project, its environment, its key."""

    project: Path
    environ: Mapping[str, str]
    secret_key: bytes | None
    excluded: tuple[Path, ...] = ()
    #: A directory an input may keep a local cache in (never part of a digest).
    cache_dir: Path | None = None
    #: False when only reading is allowed (``--explain`` writes nothing).
    cache_writable: bool = True


class Input(Protocol):
    """Anything a check declares it depends on."""

    def collect(self, scope: Scope) -> Fingerprint: ...


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:_DIGEST_CHARS]


def _file_digest(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            hasher.update(chunk)
    return hasher.hexdigest()[:_DIGEST_CHARS]


@dataclass(frozen=True)
class Files:
    """Files, directories (recursively) and globs, relative to the project."""

    patterns: tuple[str, ...]

    def collect(self, scope: Scope) -> Fingerprint:
        found: Fingerprint = {}
        for pattern in self.patterns:
            matched = sorted(set(self._expand(scope, pattern)))
            if not matched:
                found[f"file:{pattern}"] = "missing"
            for path in matched:
                found[f"file:{_label(scope.project, path)}"] = _safe_digest(path)
        return found

    def _expand(self, scope: Scope, pattern: str) -> Iterator[Path]:
        root = scope.project
        if _GLOB_CHARS.intersection(pattern):
            candidates: Iterator[Path] = root.glob(pattern)
        else:
            target = root / pattern
            if target.is_dir():
                candidates = target.rglob("*")
            elif target.exists():
                candidates = iter([target])
            else:
                candidates = iter(())
        for path in candidates:
            if path.is_file() and not _is_excluded(path, scope.excluded):
                yield path


def _is_excluded(path: Path, excluded: tuple[Path, ...]) -> bool:
    resolved = path.resolve()
    return any(resolved.is_relative_to(root) for root in excluded)


def _label(project: Path, path: Path) -> str:
    try:
        return path.relative_to(project).as_posix()
    except ValueError:
        return path.as_posix()


def _safe_digest(path: Path) -> str:
    try:
        return _file_digest(path)
    except OSError as exc:
        return f"unreadable ({exc.strerror or type(exc).__name__})"


@dataclass(frozen=True)
class Env:
    """Environment variables whose values are not secret."""

    names: tuple[str, ...]

    def collect(self, scope: Scope) -> Fingerprint:
        return {
            f"env:{name}": _value_digest(scope.environ.get(name), None)
            for name in self.names
        }


@dataclass(frozen=True)
class Secret:
    """Environment variables holding secrets: only a keyed hash is ever kept."""

    names: tuple[str, ...]

    def collect(self, scope: Scope) -> Fingerprint:
        return {
            f"secret:{name}": _value_digest(scope.environ.get(name), scope.secret_key)
            for name in self.names
        }


def _value_digest(value: str | None, key: bytes | None) -> str:
    if value is None:
        return "unset"
    return keyed_digest(value.encode(), key)


def keyed_digest(data: bytes, key: bytes | None) -> str:
    """An HMAC-SHA256 digest of secret data; plain only while there is no key yet."""
    if key is None:
        return digest(data)
    return hmac.new(key, data, hashlib.sha256).hexdigest()[:_DIGEST_CHARS]


@dataclass(frozen=True)
class Config:
    """Configuration values, compared by their JSON form."""

    values: tuple[tuple[str, object], ...]

    def collect(self, scope: Scope) -> Fingerprint:
        return {
            f"config:{name}": digest(
                json.dumps(value, sort_keys=True, default=str).encode()
            )
            for name, value in self.values
        }


@dataclass(frozen=True)
class Program:
    """A program on PATH, by its resolved path and file stamp; it is never run."""

    name: str

    def collect(self, scope: Scope) -> Fingerprint:
        found = shutil.which(self.name, path=scope.environ.get("PATH"))
        if found is None:
            return {f"program:{self.name}": "not found"}
        real = os.path.realpath(found)
        try:
            stat = os.stat(real)
        except OSError:
            return {f"program:{self.name}": "not found"}
        stamp = f"{real}\0{stat.st_size}\0{stat.st_mtime_ns}"
        return {f"program:{self.name}": digest(stamp.encode())}


@dataclass(frozen=True)
class Computed:
    """A value a function computes from the project, such as a content hash."""

    label: str
    func: Callable[[Path], object]

    def collect(self, scope: Scope) -> Fingerprint:
        try:
            value = self.func(scope.project)
        except Exception as exc:  # noqa: BLE001 - any failure is a distinct value
            return {self.label: f"error ({type(exc).__name__}: {exc})"[:200]}
        return {self.label: digest(str(value).encode())}


def files(*patterns: str) -> Files:
    """Files, directories and globs relative to the project root."""
    return Files(patterns)


def env(*names: str) -> Env:
    """Environment variables (values hashed)."""
    return Env(names)


def secret(*names: str) -> Secret:
    """Secret environment variables (values hashed with the project's key)."""
    return Secret(names)


def config(**values: object) -> Config:
    """Configuration values."""
    return Config(tuple(sorted(values.items())))


def program(name: str) -> Program:
    """A program found on PATH."""
    return Program(name)


def computed(label: str, func: Callable[[Path], object]) -> Computed:
    """A value computed from the project directory."""
    return Computed(label, func)


def fingerprint(item: Check, scope: Scope) -> Fingerprint:
    """The fingerprint of one check: its definition plus its declared inputs."""
    found: Fingerprint = {"check:definition": _definition_digest(item)}
    for declared in item.inputs:
        found.update(declared.collect(scope))
    return found


def _definition_digest(item: Check) -> str:
    hasher = hashlib.sha256(repr(item.needs).encode())
    _hash_code(hasher, item.func.__code__)
    return hasher.hexdigest()[:_DIGEST_CHARS]


def _hash_code(hasher: hashlib._Hash, code: CodeType) -> None:
    # The compiled code, not the source text: reading and tokenizing source
    # costs more than a skipped run may spend, and a moved line changes nothing.
    hasher.update(code.co_code)
    hasher.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if isinstance(const, CodeType):
            _hash_code(hasher, const)
        else:
            hasher.update(repr(const).encode())


def secret_names(checks: tuple[Check, ...]) -> set[str]:
    """Every environment variable a suite declares as secret."""
    return {
        name
        for item in checks
        for declared in item.inputs
        if isinstance(declared, Secret)
        for name in declared.names
    }
