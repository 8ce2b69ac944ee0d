"""A run where every check is skipped imports nothing heavy."""

from __future__ import annotations

import sys

from conftest import Project

ALLOWED_THIRD_PARTY = {"filelock", "flightcheck"}
# Looked for by the interpreter or the standard library itself (``org`` is
# pickle's probe for Jython), not by flightcheck.
INTERPRETER_PROBES = {"encodings", "org", "sitecustomize", "usercustomize"}


def test_all_skipped_run_imports_only_the_standard_library_and_filelock(
    project: Project,
) -> None:
    assert project.run().returncode == 0
    project.ran()

    done, imported = project.imports()

    assert done.returncode == 0, done
    assert project.ran() == []
    third_party = {
        name
        for name in imported
        if name not in sys.stdlib_module_names
        and not name.startswith(("_", "flightcheck_suite_"))
        and name not in INTERPRETER_PROBES
    }
    assert third_party <= ALLOWED_THIRD_PARTY, sorted(third_party)
    assert "boto3" not in imported
