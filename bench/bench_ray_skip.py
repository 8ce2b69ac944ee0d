"""The built-in Ray suite, every check skipped, against a bare interpreter.

Needs the test services for check 8's registry: run it as
``eval "$(scripts/services.sh)" && .venv/bin/python bench/bench_ray_skip.py``.
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from moto.server import ThreadedMotoServer

RUNS = 20
FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "ray_project"
HEAVY = ("boto3", "botocore", "docker", "cfnlint", "yaml")


def wall(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def project(tmp: Path, registry: str) -> Path:
    root = tmp / "ray"
    shutil.copytree(FIXTURE, root)
    toml = root / "flightcheck.toml"
    text = toml.read_text().replace("[image]\n", f'[image]\nregistry = "{registry}"\n')
    toml.write_text(text)
    return root


def environment(tmp: Path, endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-credentials"),
        DOCKER_HOST=os.environ["FLIGHTCHECK_TEST_DOCKER_HOST"],
        OPENAI_API_KEY="sk-bench-000111222",
        PINECONE_API_KEY="pc-bench-000111222",
    )
    return env


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            root = project(tmp, os.environ["FLIGHTCHECK_TEST_REGISTRY"])
            env = environment(tmp, f"http://{host}:{port}")
            run = [sys.executable, "-m", "flightcheck", "--project", str(root)]
            first = subprocess.run(run, env=env, capture_output=True, text=True)
            if first.returncode != 0:
                print(first.stdout[-2000:])
                return 1
            bare = [wall([sys.executable, "-c", "pass"], env) for _ in range(RUNS)]
            skipped = [wall(run, env) for _ in range(RUNS)]
            imports = subprocess.run(
                [sys.executable, "-X", "importtime", *run[1:]],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stderr
    finally:
        server.stop()
    extra = (statistics.median(skipped) - statistics.median(bare)) * 1000
    heavy = [
        name for name in HEAVY if f" {name}\n" in imports or f" {name}." in imports
    ]
    print(f"built-in Ray suite, all 10 checks skipped, median of {RUNS} runs each")
    print(f"  python -c pass       {statistics.median(bare) * 1000:7.1f} ms")
    print(f"  flightcheck (skip)   {statistics.median(skipped) * 1000:7.1f} ms")
    verdict = "met" if extra < 150 else "NOT met"
    print(f"  difference           {extra:7.1f} ms   target < 150 ms: {verdict}")
    print(f"  heavy modules imported: {', '.join(heavy) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
