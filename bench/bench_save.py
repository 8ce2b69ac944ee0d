"""Checkpoint save with fsync: p50 and p99 over 1,000 saves (target p99 < 2 ms)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from flightcheck.checks import Status
from flightcheck.state import Checkpoint, CheckRecord
from flightcheck.store import LocalStore

SAVES = 1000


def sample_checkpoint() -> Checkpoint:
    now = datetime.now().astimezone()
    fingerprint = {f"file:app/module_{i}.py": "0123456789abcdef" * 2 for i in range(20)}
    records = tuple(
        CheckRecord(
            n, f"check-{n}", f"Check {n}", Status.PASS, now, 1.5, 3, 0, fingerprint
        )
        for n in range(1, 11)
    )
    return Checkpoint(timestamp=now, records=records, pass_count=30, log_file="x.log")


def main() -> int:
    with tempfile.TemporaryDirectory(
        dir=sys.argv[1] if len(sys.argv) > 1 else None
    ) as tmp:
        store = LocalStore(Path(tmp) / ".checkpoints")
        store.ensure()
        checkpoint = sample_checkpoint()
        timings = []
        for _ in range(SAVES):
            started = time.perf_counter()
            store.save(checkpoint)
            timings.append((time.perf_counter() - started) * 1000)
        size = store.path.stat().st_size
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    print(f"checkpoint save, {SAVES} saves of {size} bytes")
    print("  (temporary file, fsync, os.replace, fsync of the directory)")
    print(f"  p50 {p50:.3f} ms   p99 {p99:.3f} ms   max {timings[-1]:.3f} ms")
    print(f"  target p99 < 2 ms: {'met' if p99 < 2 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
