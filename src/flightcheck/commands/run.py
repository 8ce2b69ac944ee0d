"""The default command: run the suite, resuming from the checkpoint."""

from __future__ import annotations

import contextlib
import logging
import platform
import sys
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path

from flightcheck import history
from flightcheck.checks import Registry
from flightcheck.commands.common import Target, fingerprint_all, load_target
from flightcheck.console import ConsoleReporter, ConsoleSink
from flightcheck.errors import InternalError
from flightcheck.inputs import secret_names
from flightcheck.output import Fanout, LogReporter, Redactor
from flightcheck.planner import Mode
from flightcheck.runner import Runner, RunResult
from flightcheck.store import LocalStore

logger = logging.getLogger("flightcheck")


def run(
    target: Target,
    *,
    mode: Mode,
    wait: bool,
    keep_logs: int | None,
    environ: Mapping[str, str],
) -> int:
    """Run the suite under the state directory's lock; return the exit code."""
    suite = load_target(target, mode)
    store = LocalStore(target.state_dir)
    redact = Redactor.for_environment(environ, secret_names(suite.checks))
    logs_dir = target.state_dir / "logs"
    with store.lock(wait=wait, on_wait=_tell):
        started = datetime.now().astimezone()
        log_path = history.create_log(logs_dir, started)
        with _logging_to(log_path, redact):
            result = _run(target, suite, store, mode, environ, redact, log_path)
            summary = result.summary
            entry = history.RunEntry(
                started=started.isoformat(timespec="seconds"),
                log=log_path.name,
                passed=summary.passed,
                failed=summary.failed,
                ran=summary.ran,
                skipped=summary.skipped,
                mode=mode.label,
                exit_code=int(result.exit_code),
            )
            history.append(logs_dir, entry)
        if keep_logs is not None:
            history.prune(logs_dir, keep_logs)
    return result.exit_code


def _run(
    target: Target,
    suite: Registry,
    store: LocalStore,
    mode: Mode,
    environ: Mapping[str, str],
    redact: Redactor,
    log_path: Path,
) -> RunResult:
    loaded = store.load(quarantine=True)
    fingerprints = fingerprint_all(
        target, suite, environ, store.secret_key(create=True), write_cache=True
    )
    reporter = Fanout(
        ConsoleReporter(ConsoleSink(sys.stdout, environ), redact),
        LogReporter(logger, redact),
    )
    runner = Runner(
        suite=suite,
        store=store,
        reporter=reporter,
        mode=mode,
        project=target.project,
        fingerprints=fingerprints,
        log_file=str(log_path),
        platform=f"{platform.system()} {platform.release()}",
    )
    notices = (store.took_over,) if store.took_over else ()
    return runner.run(loaded, notices)


def _tell(text: str) -> None:
    sys.stderr.write(f"flightcheck: {text}\n")
    sys.stderr.flush()


class _RedactingFormatter(logging.Formatter):
    """The spec's ``HH:MM:SS | message`` lines, with secret values masked."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__("%(asctime)s | %(message)s", datefmt="%H:%M:%S")
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self._redact(super().format(record))


@contextlib.contextmanager
def _logging_to(path: Path, redact: Redactor) -> Iterator[None]:
    """Send the ``flightcheck`` loggers to the run's log file, and only there."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(_RedactingFormatter(redact))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield
    except Exception as exc:
        logger.exception("flightcheck stopped on an unexpected error")
        raise InternalError(f"{type(exc).__name__}: {exc}", log_file=path) from exc
    finally:
        logger.removeHandler(handler)
        handler.close()
