"""The command line: parse, dispatch, and turn every failure into one line."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from typing import NoReturn

from flightcheck import __version__
from flightcheck.errors import ExitCode, FlightcheckError, InternalError, UsageError
from flightcheck.planner import Mode

_PROG = "flightcheck"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a mistake in one line instead of usage plus error."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def _whole_number(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a whole number"
            ) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is less than {minimum}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=_PROG,
        description="Run prerequisite checks; skip those that passed and still hold.",
        epilog=(
            "Other commands: 'flightcheck init' writes a project's starting files;"
            " 'flightcheck demo' runs the example project on a local AWS emulator."
        ),
    )
    how = parser.add_mutually_exclusive_group()
    how.add_argument(
        "-f", "--full", action="store_true", help="run all checks from the beginning"
    )
    how.add_argument(
        "--from-check",
        metavar="N",
        type=_whole_number(1),
        help="run check N and every check after it",
    )
    how.add_argument(
        "-l",
        "--list-checkpoints",
        action="store_true",
        help="show the history of recent runs",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="say what each check would do and why, without running anything",
    )
    parser.add_argument(
        "--project", metavar="DIR", help="the project directory (default: .)"
    )
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        help="where checkpoints live (default: PROJECT/.checkpoints)",
    )
    parser.add_argument(
        "--suite",
        metavar="PATH_OR_MODULE",
        help="the suite to run instead of the project's",
    )
    parser.add_argument(
        "--wait",
        action="store_true",
        help="wait for another run to finish instead of failing",
    )
    parser.add_argument(
        "--keep-logs",
        metavar="N",
        type=_whole_number(1),
        help="keep only the newest N run logs",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    return parser


def _build_init_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=f"{_PROG} init",
        description="Write the project's starting files where they are missing.",
    )
    parser.add_argument(
        "--project", metavar="DIR", help="the project directory (default: .)"
    )
    return parser


def _build_demo_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=f"{_PROG} demo",
        description="Run the example Ray project twice on a local AWS emulator.",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the example project instead of deleting it",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run flightcheck with ``argv``; return the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(args)
    except FlightcheckError as exc:
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except InternalError as exc:
        _error(f"internal error: {exc}; the traceback is in {exc.log_file}")
        return ExitCode.INTERNAL
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        crash = _write_crash_report()
        _error(
            f"internal error: {type(exc).__name__}: {exc}; the traceback is in {crash}"
        )
        return ExitCode.INTERNAL


def _dispatch(args: list[str]) -> int:
    from flightcheck.signals import Stopped, stop_on_signals

    if args[:1] == ["init"]:
        from flightcheck.commands.init import init

        return init(project=_build_init_parser().parse_args(args[1:]).project)
    if args[:1] == ["demo"]:
        from flightcheck.commands.demo import demo

        return demo(keep=_build_demo_parser().parse_args(args[1:]).keep)
    options = build_parser().parse_args(args)
    from flightcheck.commands.common import Target

    target = Target.resolve(options.project, options.state_dir, options.suite)
    if options.list_checkpoints:
        if options.explain:
            raise UsageError("--list-checkpoints and --explain do not go together")
        from flightcheck.commands.listing import list_checkpoints

        return list_checkpoints(target)
    mode = Mode(full=options.full, start=options.from_check)
    if options.explain:
        from flightcheck.commands.explain import explain

        return explain(target, mode=mode, environ=os.environ)
    from flightcheck.commands.run import run

    try:
        with stop_on_signals():
            return run(
                target,
                mode=mode,
                wait=options.wait,
                keep_logs=options.keep_logs,
                environ=os.environ,
            )
    except Stopped as stop:
        return stop.exit_code


def _error(message: str) -> None:
    sys.stderr.write(f"{_PROG}: error: {message}\n")


def _write_crash_report() -> str:
    fd, path = tempfile.mkstemp(prefix="flightcheck-crash-", suffix=".log")
    with os.fdopen(fd, "w") as stream:
        traceback.print_exc(file=stream)
    return path
