"""Where checkpoints live: a state directory on local disk, behind a small interface.

A later store (S3 with conditional writes) only has to offer the same four
operations; the runner never touches files itself.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import socket
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from flightcheck.errors import ConfigError, LockHeldError
from flightcheck.state import Checkpoint, CheckpointError

logger = logging.getLogger(__name__)

CHECKPOINT_NAME = "latest_checkpoint.json"
_TMP_PREFIX = ".latest_checkpoint."
_TMP_SUFFIX = ".tmp"
_KEY_NAME = "fingerprint.key"
_KEY_BYTES = 32
_LOCK_NAME = ".lock"
_HOLDER_NAME = "lock-holder.json"
_GITIGNORE = b"# Written by flightcheck: local state, never to be committed.\n*\n"


@dataclass(frozen=True)
class Loaded:
    """A checkpoint, or why there is none usable."""

    checkpoint: Checkpoint | None
    #: One line for the user when the file existed but could not be used.
    problem: str = ""


class StateStore(Protocol):
    """What the runner needs from wherever checkpoints are kept."""

    def lock(
        self, *, wait: bool, on_wait: Callable[[str], None]
    ) -> contextlib.AbstractContextManager[None]: ...

    def load(self, *, quarantine: bool) -> Loaded: ...

    def save(self, checkpoint: Checkpoint) -> None: ...

    def secret_key(self, *, create: bool) -> bytes | None: ...


class LocalStore:
    """A state directory: 0700, files 0600, every write atomic and durable."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / CHECKPOINT_NAME
        #: Set when this run took over the lock of a run that died holding it.
        self.took_over = ""

    def ensure(self) -> None:
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot create the state directory {self.directory}: {exc.strerror}"
            ) from None
        os.chmod(self.directory, 0o700)
        ignore = self.directory / ".gitignore"
        if not ignore.exists():
            # The state holds the key for secret fingerprints: keep it out of
            # version control even where the project's .gitignore forgets it.
            self._write_atomic(ignore, _GITIGNORE)

    @contextlib.contextmanager
    def lock(
        self, *, wait: bool, on_wait: Callable[[str], None] = logger.info
    ) -> Iterator[None]:
        """Hold the directory for one run; a dead holder's lock is taken over."""
        import filelock  # deferred: only a run that writes needs it

        self.ensure()
        lock = filelock.FileLock(str(self.directory / _LOCK_NAME), mode=0o600)
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            holder = self._holder()
            if not wait:
                raise LockHeldError(
                    f"another flightcheck run holds {self.directory} ({holder}); "
                    "wait for it, or pass --wait to queue behind it"
                ) from None
            on_wait(f"waiting for the run that holds {self.directory} ({holder})")
            lock.acquire()
        try:
            self._claim()
            yield
        finally:
            with contextlib.suppress(FileNotFoundError):
                (self.directory / _HOLDER_NAME).unlink()
            lock.release()

    def _claim(self) -> None:
        holder_path = self.directory / _HOLDER_NAME
        if holder_path.exists():
            # The OS released the lock when its holder died; say whose it was.
            self.took_over = (
                f"Took over the lock of a run that ended abruptly ({self._holder()})"
            )
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        self._write_atomic(holder_path, json.dumps(info).encode())
        self._remove_stale_temporaries()

    def _holder(self) -> str:
        try:
            info = json.loads((self.directory / _HOLDER_NAME).read_text())
            return f"pid {info['pid']} on {info['host']}, started {info['started_at']}"
        except (OSError, ValueError, KeyError, TypeError):
            return "holder unknown"

    def _remove_stale_temporaries(self) -> None:
        # Only the lock holder writes, so any temporary file is a killed writer's.
        for leftover in self.directory.glob(f"{_TMP_PREFIX}*{_TMP_SUFFIX}"):
            try:
                leftover.unlink()
            except OSError as exc:
                logger.warning("Could not remove the stale file %s: %s", leftover, exc)

    def load(self, *, quarantine: bool) -> Loaded:
        """Read the checkpoint; an unusable one is moved aside, never fatal."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return Loaded(None)
        except OSError as exc:
            return Loaded(
                None, f"Error loading checkpoint: {exc.strerror} ({self.path})"
            )
        try:
            return Loaded(Checkpoint.from_dict(json.loads(raw)))
        except (ValueError, CheckpointError, UnicodeDecodeError) as exc:
            why = str(exc) if isinstance(exc, CheckpointError) else "Invalid JSON"
        aside = self._quarantine() if quarantine else None
        kept = f"; kept as {aside.name}" if aside else ""
        return Loaded(None, f"Error loading checkpoint: {why}{kept}")

    def _quarantine(self) -> Path | None:
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
        aside = self.directory / f"latest_checkpoint.corrupt-{stamp}.json"
        try:
            os.replace(self.path, aside)
        except OSError as exc:
            logger.warning("Could not move the unusable checkpoint aside: %s", exc)
            return None
        return aside

    def save(self, checkpoint: Checkpoint) -> None:
        data = json.dumps(checkpoint.to_dict(), indent=2).encode() + b"\n"
        self._write_atomic(self.path, data)

    def _write_atomic(self, target: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(
            dir=self.directory, prefix=_TMP_PREFIX, suffix=_TMP_SUFFIX
        )
        try:
            with os.fdopen(fd, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_directory(self.directory)

    def secret_key(self, *, create: bool) -> bytes | None:
        """The key for hashing secret inputs; it never leaves the state directory."""
        path = self.directory / _KEY_NAME
        with contextlib.suppress(FileNotFoundError):
            key = path.read_bytes()
            if len(key) == _KEY_BYTES:
                return key
            logger.warning("The key %s is damaged; making a new one", path)
        if not create:
            return None
        self._write_atomic(path, secrets.token_bytes(_KEY_BYTES))
        return path.read_bytes()


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
