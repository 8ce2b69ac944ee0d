"""``--list-checkpoints``: the newest runs, as the original script listed them."""

from __future__ import annotations

import sys

from flightcheck import history
from flightcheck.commands.common import Target
from flightcheck.errors import ExitCode

#: How many runs the listing shows, newest first.
SHOWN = 10


def list_checkpoints(target: Target) -> int:
    """Print the run history read from the log index."""
    entries = history.recent(target.state_dir / "logs", SHOWN)
    sys.stdout.write(history.render(entries) + "\n")
    return ExitCode.OK
