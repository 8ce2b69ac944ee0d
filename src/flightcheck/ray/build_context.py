"""The build context of the pipeline's image, and the content hash that tags it.

The hash covers everything ``docker build`` would use: the Dockerfile, the
build arguments, the platform and every file ``.dockerignore`` keeps. Since
inputs are fingerprinted on every run, a cache keyed by the context's
listing gives the hash without importing the docker SDK when nothing moved.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flightcheck.ray.config import RayConfig

logger = logging.getLogger(__name__)

TAG_PREFIX = "ctx-"
TAG_HEX = 20
CACHE_FILE = "image-context.json"
#: Changes whenever the content hash would change meaning for the same files.
HASH_SCHEME = "1"

_CACHE_ENTRIES = 8
# A file changed within one timestamp tick of the listing may change again
# unseen (same size, same time), so such a listing is not cached. File
# systems with whole-second times (FAT, HFS+) tick slowly, the others in ms.
_TICK_COARSE_S = 2.0
_TICK_FINE_S = 0.05
_CHUNK = 1 << 20


# --- The content hash ---------------------------------------------------


@dataclass(frozen=True)
class BuildContext:
    """What ``docker build`` is given: the context, Dockerfile, arguments, platform."""

    root: Path
    dockerfile: str
    build_args: tuple[tuple[str, str], ...]
    platform: str

    @classmethod
    def of(cls, config: RayConfig) -> BuildContext:
        image = config.image
        return cls(
            root=config.path(image.context),
            dockerfile=Path(image.dockerfile).as_posix(),
            build_args=tuple(sorted(image.build_args.items())),
            platform=image.platform,
        )

    def settings(self) -> bytes:
        """The non-file parts of the hash, in a fixed form."""
        values = [HASH_SCHEME, self.platform, self.dockerfile, self.build_args]
        return json.dumps(values).encode()

    def ignore_patterns(self) -> list[str]:
        """The ``.dockerignore`` patterns, read the way the docker SDK reads them."""
        path = self.root / ".dockerignore"
        if not path.exists():
            return []
        lines = (line.strip() for line in path.read_text().splitlines())
        return [line for line in lines if line and not line.startswith("#")]


def content_hash(context: BuildContext, excluded: tuple[Path, ...] = ()) -> str:
    """The sha256 of the Dockerfile, settings and every file the context sends."""
    # Limitation: the docker SDK's .dockerignore matcher is the reference;
    # BuildKit's per-Dockerfile <Dockerfile>.dockerignore files are not read.
    from docker.utils.build import exclude_paths

    hasher = hashlib.sha256()
    _feed(hasher, context.settings())
    _feed(hasher, (context.root / context.dockerfile).read_bytes())
    skipped = relative_dirs(context.root, excluded)
    kept = exclude_paths(
        str(context.root), context.ignore_patterns(), dockerfile=context.dockerfile
    )
    for relative in sorted(path.replace(os.sep, "/") for path in kept):
        if not _is_under(relative, skipped):
            _feed_entry(hasher, context.root, relative)
    return hasher.hexdigest()


def tag_of(full_hash: str) -> str:
    return TAG_PREFIX + full_hash[:TAG_HEX]


def _feed(hasher: Any, data: bytes) -> None:
    # Length-prefixed, so that no two different sequences feed the same bytes.
    hasher.update(b"%d:" % len(data))
    hasher.update(data)


def _feed_entry(hasher: Any, root: Path, relative: str) -> None:
    path = root / relative
    info = path.lstat()
    _feed(hasher, relative.encode())
    if stat.S_ISLNK(info.st_mode):
        _feed(hasher, b"link:" + os.readlink(path).encode())
    elif stat.S_ISDIR(info.st_mode):
        _feed(hasher, b"dir")
    elif stat.S_ISREG(info.st_mode):
        executable = b"x" if info.st_mode & 0o111 else b"-"
        _feed(hasher, b"file:" + executable)
        with path.open("rb") as stream:
            for chunk in iter(lambda: stream.read(_CHUNK), b""):
                hasher.update(chunk)


def relative_dirs(root: Path, excluded: tuple[Path, ...]) -> tuple[str, ...]:
    """The excluded directories (the state directory) inside ``root``."""
    base = root.resolve()
    found = []
    for path in excluded:
        with contextlib.suppress(ValueError):
            found.append(path.resolve().relative_to(base).as_posix())
    return tuple(found)


def _is_under(relative: str, dirs: tuple[str, ...]) -> bool:
    return any(relative == d or relative.startswith(d + "/") for d in dirs)


# --- The listing cache: the content hash without importing docker -------


def listing_digest(
    context: BuildContext, skipped: tuple[str, ...]
) -> tuple[str, float]:
    """A digest of the context's names, sizes and times; and when it is settled."""
    # Limitation: every file under the context is listed on every run, even
    # ones .dockerignore leaves out (matching them needs the docker SDK); a
    # context holding .venv or .git costs its size in stat calls each run.
    hasher = hashlib.sha256()
    _feed(hasher, context.settings())
    for name in (".dockerignore", context.dockerfile):
        path = context.root / name
        _feed(hasher, path.read_bytes() if path.is_file() else b"\0missing")
    newest, fine = 0, False
    for directory, dirs, files in os.walk(context.root):
        base = Path(directory).relative_to(context.root).as_posix()
        prefix = "" if base == "." else base + "/"
        dirs[:] = sorted(d for d in dirs if not _is_under(prefix + d, skipped))
        for name in sorted([*dirs, *files]):
            info = os.lstat(os.path.join(directory, name))
            entry = (
                f"{prefix}{name}\0{info.st_mode}\0{info.st_size}\0{info.st_mtime_ns}"
            )
            _feed(hasher, entry.encode())
            newest = max(newest, info.st_mtime_ns)
            fine = fine or info.st_mtime_ns % 1_000_000_000 != 0
    tick = _TICK_FINE_S if fine else _TICK_COARSE_S
    return hasher.hexdigest(), newest / 1e9 + tick


def cached_content_hash(
    context: BuildContext,
    excluded: tuple[Path, ...],
    cache_dir: Path | None,
    writable: bool = True,
) -> str:
    """``content_hash``, from the cache when the context's listing is unchanged."""
    if cache_dir is None:
        return content_hash(context, excluded)
    key, settled = listing_digest(context, relative_dirs(context.root, excluded))
    path = cache_dir / CACHE_FILE
    entries = _read_cache(path)
    if key in entries:
        return entries[key]
    value = content_hash(context, excluded)
    if writable and time.time() > settled:
        entries.pop(key, None)
        entries[key] = value
        kept = dict(list(entries.items())[-_CACHE_ENTRIES:])
        _write_cache(path, kept)
    return value


def _read_cache(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        logger.info("Ignoring the unreadable image cache %s: %s", path, exc)
        return {}
    if not isinstance(data, dict) or data.get("scheme") != HASH_SCHEME:
        return {}
    entries = data.get("entries")
    if not isinstance(entries, dict):
        return {}
    return {k: v for k, v in entries.items() if isinstance(v, str)}


def _write_cache(path: Path, entries: dict[str, str]) -> None:
    data = json.dumps({"scheme": HASH_SCHEME, "entries": entries}).encode()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".image-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as exc:
        # Only a cache: the next run computes the hash again.
        logger.info("Could not save the image cache %s: %s", path, exc)
