"""An all-skipped run of ten checks against a bare interpreter (target < +150 ms)."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 20
SUITE = Path(__file__).resolve().parent.parent / "tests" / "suites" / "spec_suite.py"


def wall(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> int:
    env = {**os.environ, "OPENAI_API_KEY": "sk-bench", "AWS_PROFILE": "bench"}
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "gates").mkdir()
        (project / "app").mkdir()
        (project / "app" / "main.py").write_text("print('ray')\n")
        (project / "Dockerfile").write_text("FROM scratch\n")
        (project / "params.json").write_text("{}\n")
        (project / "template.yaml").write_text("Resources: {}\n")
        shutil.copy(SUITE, project / "flightcheck_checks.py")
        run = [sys.executable, "-m", "flightcheck", "--project", str(project)]
        subprocess.run(run, env=env, stdout=subprocess.DEVNULL, check=True)
        bare = [wall([sys.executable, "-c", "pass"], env) for _ in range(RUNS)]
        skipped = [wall(run, env) for _ in range(RUNS)]
        (project / "ran.txt").unlink()
        importtime = subprocess.run(
            [sys.executable, "-X", "importtime", *run[1:]],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        ran = (project / "ran.txt").exists()
    extra = (statistics.median(skipped) - statistics.median(bare)) * 1000
    print(f"all-skipped run of 10 checks, median of {RUNS} runs each")
    print(f"  python -c pass       {statistics.median(bare) * 1000:7.1f} ms")
    print(f"  flightcheck (skip)   {statistics.median(skipped) * 1000:7.1f} ms")
    verdict = "met" if extra < 150 else "NOT met"
    print(f"  difference           {extra:7.1f} ms   target < 150 ms: {verdict}")
    boto3 = "yes" if " boto3" in importtime else "no"
    print(f"  boto3 imported: {boto3}; any check ran: {ran}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
