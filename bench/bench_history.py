"""``--list-checkpoints`` with 10,000 runs of history (target < 200 ms)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flightcheck import history

HISTORY = 10_000
RUNS = 10


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        logs = project / ".checkpoints" / "logs"
        logs.mkdir(parents=True)
        for n in range(HISTORY):
            clock = f"{n // 3600 % 24:02d}{n // 60 % 60:02d}{n % 60:02d}"
            name = f"prerequisites_run_20261203_{clock}_{n}.log"
            (logs / name).write_text("")
            history.append(
                logs,
                history.RunEntry(
                    started=f"2026-12-03T10:00:{n % 60:02d}",
                    log=name,
                    passed=22,
                    failed=1,
                    ran=3,
                    skipped=7,
                    mode="CHECKPOINT RESUME",
                    exit_code=1,
                ),
            )
        command = [sys.executable, "-m", "flightcheck", "--project", str(project), "-l"]
        timings = []
        for _ in range(RUNS):
            started = time.perf_counter()
            subprocess.run(
                command, env=os.environ, stdout=subprocess.DEVNULL, check=True
            )
            timings.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        history.recent(logs, 10)
        in_process = (time.perf_counter() - started) * 1000
    median = statistics.median(timings)
    print(f"--list-checkpoints with {HISTORY} runs of history, median of {RUNS}")
    print(f"  whole command {median:.1f} ms (reading the index: {in_process:.2f} ms)")
    print(f"  target < 200 ms: {'met' if median < 200 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
