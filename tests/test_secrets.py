"""Secret values never reach the terminal, the log, the checkpoint or the history."""

from __future__ import annotations

from conftest import Project

SECRET = "sk-test-000111222333"


def test_secret_printed_by_a_check_is_masked_everywhere(project: Project) -> None:
    project.gate("region", "raise")
    project.env["AWS_SECRET_ACCESS_KEY"] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY"

    result = project.run()

    assert "  [INFO] OPENAI_API_KEY is ****" in result.stdout
    assert SECRET not in result.stdout + result.stderr
    for path in project.state.rglob("*"):
        if path.is_file() and path.name != "fingerprint.key":
            text = path.read_text(errors="replace")
            assert SECRET not in text, path
            assert "wJalrXUtnFEMI" not in text, path


def test_secret_fingerprint_is_keyed_not_a_plain_hash(project: Project) -> None:
    import hashlib

    project.run()
    digest = project.checkpoint["checks"]["6"]["fingerprint"]["secret:OPENAI_API_KEY"]  # type: ignore[index]

    assert digest not in hashlib.sha256(SECRET.encode()).hexdigest()
    assert (project.state / "fingerprint.key").stat().st_size == 32
