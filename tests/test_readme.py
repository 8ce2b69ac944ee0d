"""The README's example suite is real: it loads and plans as documented."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import Project

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_example_suite_loads_and_explains(project: Project) -> None:
    example = re.search(
        r"```python\n(# flightcheck_checks\.py.*?)```", README.read_text(), re.S
    )
    assert example is not None
    (project.root / "flightcheck_checks.py").write_text(example.group(1))

    result = project.run("--explain")

    assert result.returncode == 0, result
    assert "[ 1 ] AWS CLI - will run: never ran" in result.stdout
    assert "[ 2 ] AWS Credentials - will run: never ran" in result.stdout
    assert (
        "[ 3 ] Docker Image — Build & Push to ECR - will run: never ran"
        in result.stdout
    )
