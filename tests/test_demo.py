"""The README's main job: the example suite run twice."""

from __future__ import annotations

import subprocess
import sys

from conftest import clean_env


def test_demo_shows_a_failure_then_a_resume_that_reruns_only_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flightcheck", "demo"],
        env=clean_env(FLIGHTCHECK_EXAMPLE_BUILD_S="0.3"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    first, second = done.stdout.split("[DEMO] Second run")
    assert "[MODE] No checkpoint found - running all checks" in first
    assert "  [FAIL] bucket_name is still the placeholder value" in first
    assert "       Resuming from: Check 3" in second
    assert "[ 4 ] Build Artifact - Skipped (completed in previous run)" in second
    assert "  [PASS] bucket_name: ray-pipeline-demo-2026" in second
    assert "Checks: 1 ran, 4 skipped, 0 failed, 0 blocked" in second
    assert "  CHECKPOINT HISTORY" in second
