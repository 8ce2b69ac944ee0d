"""``flightcheck demo``: the example suite run twice, so that the resume shows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

_PROJECT = {
    "pipeline.json": json.dumps({"bucket_name": "REPLACE_ME"}, indent=2) + "\n",
    "app/main.py": "print('hello from the pipeline')\n",
    "app/requirements.txt": "ray[default]\n",
}
_FIXED_BUCKET = "ray-pipeline-demo-2026"


def demo(*, keep: bool) -> int:
    """Run the example suite in a fresh project, fix its failure, run again."""
    with tempfile.TemporaryDirectory(prefix="flightcheck-demo-") as tmp:
        project = Path(tmp)
        for name, text in _PROJECT.items():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            (project / name).write_text(text)
        _say(f"Example project: {project}")
        _say("First run: no checkpoint, and pipeline.json still holds a placeholder.")
        _run(project)
        _say(f"Fixing pipeline.json: bucket_name = {_FIXED_BUCKET}")
        (project / "pipeline.json").write_text(
            json.dumps({"bucket_name": _FIXED_BUCKET}) + "\n"
        )
        _say("Second run: only what failed, or changed, runs again.")
        code = _run(project)
        _run_listing(project)
        if keep:
            kept = Path(tempfile.mkdtemp(prefix="flightcheck-demo-kept-"))
            os.replace(project, kept / "project")
            project.mkdir()
            _say(f"Kept the project at {kept / 'project'}")
    return code


def _run(project: Path, *extra: str) -> int:
    command = [sys.executable, "-m", "flightcheck", "--project", str(project), *extra]
    sys.stdout.flush()
    return subprocess.run(command, check=False).returncode


def _run_listing(project: Path) -> None:
    _say("The history of both runs (flightcheck --list-checkpoints):")
    _run(project, "--list-checkpoints")


def _say(text: str) -> None:
    sys.stdout.write(f"\n[DEMO] {text}\n\n")
    sys.stdout.flush()
