#!/usr/bin/env python3
"""Check the prerequisites of deploying this Ray pipeline, with flightcheck.

Runs the checks of the project one directory up and keeps the checkpoints in
.checkpoints/ beside this file. Every option of flightcheck works here:
--full (-f), --from-check N, --list-checkpoints (-l), --explain, --help.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    try:
        from flightcheck.cli import main as flightcheck
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "flightcheck":
            raise
        sys.stderr.write(
            "check_prerequisites.py needs flightcheck: pip install flightcheck\n"
        )
        return 2
    where = ["--project", str(HERE.parent), "--state-dir", str(HERE / ".checkpoints")]
    return flightcheck([*where, *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
