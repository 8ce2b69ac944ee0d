"""Check 6, API Keys → Secrets Manager, against moto's server."""

from __future__ import annotations

import hashlib

from conftest import Aws, Project, use_only
from test_ray_permissions import Enforcing
from test_ray_permissions import enforcing as enforcing  # the fixture

OPENAI = "ray-pipeline/openai-api-key"
PINECONE = "ray-pipeline/pinecone-api-key"


def store(aws: Aws, name: str, value: str) -> str:
    """Put ``value`` in Secrets Manager as ``name``; its version id."""
    client = aws.client("secretsmanager")
    version: str = client.create_secret(Name=name, SecretString=value)["VersionId"]
    return version


def stored(aws: Aws, name: str) -> tuple[str, str]:
    """The current value of ``name`` and its version id."""
    response = aws.client("secretsmanager").get_secret_value(SecretId=name)
    return response["SecretString"], response["VersionId"]


def test_keys_from_the_environment_are_created(ray_project: Project, aws: Aws) -> None:
    use_only(ray_project, "secrets")
    ray_project.env["OPENAI_API_KEY"] = "sk-openai-created"
    ray_project.env["PINECONE_API_KEY"] = "pc-pinecone-created"

    result = ray_project.run()

    assert result.returncode == 0, result
    assert f"[PASS] OPENAI_API_KEY stored as {OPENAI} (created)" in result.stdout
    assert f"[PASS] PINECONE_API_KEY stored as {PINECONE} (created)" in result.stdout
    assert stored(aws, OPENAI)[0] == "sk-openai-created"
    assert stored(aws, PINECONE)[0] == "pc-pinecone-created"


def test_an_unchanged_value_writes_no_new_version(
    ray_project: Project, aws: Aws
) -> None:
    use_only(ray_project, "secrets")
    version = store(aws, OPENAI, "sk-same")
    store(aws, PINECONE, "pc-same")
    ray_project.env["OPENAI_API_KEY"] = "sk-same"

    result = ray_project.run()

    assert result.returncode == 0, result
    assert f"[PASS] OPENAI_API_KEY stored as {OPENAI} (unchanged)" in result.stdout
    assert stored(aws, OPENAI) == ("sk-same", version)
    versions = aws.client("secretsmanager").list_secret_version_ids(SecretId=OPENAI)
    assert len(versions["Versions"]) == 1


def test_a_changed_value_is_updated(ray_project: Project, aws: Aws) -> None:
    use_only(ray_project, "secrets")
    old_version = store(aws, OPENAI, "sk-old")
    store(aws, PINECONE, "pc-kept")
    ray_project.env["OPENAI_API_KEY"] = "sk-new"

    result = ray_project.run()

    assert result.returncode == 0, result
    assert f"[PASS] OPENAI_API_KEY stored as {OPENAI} (updated)" in result.stdout
    value, version = stored(aws, OPENAI)
    assert value == "sk-new"
    assert version != old_version


def test_an_unset_variable_with_a_stored_secret_passes(
    ray_project: Project, aws: Aws
) -> None:
    use_only(ray_project, "secrets")
    store(aws, OPENAI, "sk-stored")
    store(aws, PINECONE, "pc-stored")

    result = ray_project.run()

    assert result.returncode == 0, result
    assert f"[PASS] OPENAI_API_KEY stored as {OPENAI} (already stored)" in result.stdout
    assert (
        f"[PASS] PINECONE_API_KEY stored as {PINECONE} (already stored)"
        in result.stdout
    )


def test_neither_set_nor_stored_fails_with_the_fix(
    ray_project: Project, aws: Aws
) -> None:
    use_only(ray_project, "secrets")
    store(aws, PINECONE, "pc-stored")

    result = ray_project.run()

    assert result.returncode == 1, result
    fails = [line for line in result.stdout.splitlines() if "[FAIL]" in line]
    assert len(fails) == 1, result
    line = fails[0]
    assert f"OPENAI_API_KEY is not set and {OPENAI} is not in Secrets Manager" in line
    assert "read -rs OPENAI_API_KEY && export OPENAI_API_KEY" in line
    assert f"create-secret --name {OPENAI} --secret-string file://" in line
    assert f"PINECONE_API_KEY stored as {PINECONE} (already stored)" in result.stdout


def test_a_secret_scheduled_for_deletion_says_how_to_restore_it(
    ray_project: Project, aws: Aws
) -> None:
    use_only(ray_project, "secrets")
    store(aws, OPENAI, "sk-doomed")
    store(aws, PINECONE, "pc-stored")
    aws.client("secretsmanager").delete_secret(SecretId=OPENAI, RecoveryWindowInDays=7)
    ray_project.env["OPENAI_API_KEY"] = "sk-doomed"

    result = ray_project.run()

    assert result.returncode == 1, result
    assert (
        f"[FAIL] {OPENAI} is scheduled for deletion: run aws secretsmanager"
        f" restore-secret --secret-id {OPENAI}" in result.stdout
    ), result


def test_the_configured_mapping_is_used(ray_project: Project, aws: Aws) -> None:
    use_only(ray_project, "secrets")
    config = ray_project.root / "flightcheck.toml"
    config.write_text(config.read_text() + '\n[secrets]\nHF_TOKEN = "team/hf"\n')
    ray_project.env["HF_TOKEN"] = "hf-value"

    result = ray_project.run()

    assert result.returncode == 0, result
    assert "[PASS] HF_TOKEN stored as team/hf (created)" in result.stdout
    assert "OPENAI_API_KEY" not in result.stdout
    assert stored(aws, "team/hf")[0] == "hf-value"


def test_a_changed_value_reruns_the_check(ray_project: Project, aws: Aws) -> None:
    use_only(ray_project, "secrets")
    ray_project.env["OPENAI_API_KEY"] = "sk-first"
    ray_project.env["PINECONE_API_KEY"] = "pc-first"

    first = ray_project.run()
    again = ray_project.run()
    ray_project.env["OPENAI_API_KEY"] = "sk-second"
    changed = ray_project.run()

    assert first.returncode == 0, first
    assert "Skipped" in again.stdout, again
    assert "(updated)" in changed.stdout, changed
    assert stored(aws, OPENAI)[0] == "sk-second"
    fingerprint = ray_project.checkpoint["checks"]["1"]["fingerprint"]  # type: ignore[index]
    assert {"secret:OPENAI_API_KEY", "secret:PINECONE_API_KEY"} <= set(fingerprint)
    assert "config:secrets" in fingerprint


CANARIES = {
    "OPENAI_API_KEY": "sk-CANARY-7f3a91c2e5d04b86",
    "PINECONE_API_KEY": "pc-CANARY-0d9e8b7a6c5f4e32",
}


def test_values_appear_nowhere(ray_project: Project, aws: Aws) -> None:
    use_only(ray_project, "secrets")
    ray_project.env.update(CANARIES)

    outputs = [ray_project.run(), ray_project.run(), ray_project.run("--explain")]
    ray_project.env["OPENAI_API_KEY"] = CANARIES["OPENAI_API_KEY"] + "-rotated"
    outputs.append(ray_project.run())

    assert [r.returncode for r in outputs] == [0, 0, 0, 0], outputs
    assert "(updated)" in outputs[-1].stdout
    files = [p for p in ray_project.state.rglob("*") if p.is_file()]
    assert any(p.suffix == ".log" for p in files)
    for canary in CANARIES.values():
        for result in outputs:
            assert canary not in result.stdout + result.stderr
        for path in files:
            assert canary.encode() not in path.read_bytes(), path
    fingerprint = ray_project.checkpoint["checks"]["1"]["fingerprint"]  # type: ignore[index]
    plain = hashlib.sha256(CANARIES["PINECONE_API_KEY"].encode()).hexdigest()
    assert fingerprint["secret:PINECONE_API_KEY"] not in plain
    assert stored(aws, PINECONE)[0] == CANARIES["PINECONE_API_KEY"]


def test_a_denied_write_names_the_action(
    ray_project: Project, enforcing: Enforcing
) -> None:
    use_only(ray_project, "secrets")
    allowed = ("sts:GetCallerIdentity", "secretsmanager:GetSecretValue")
    ray_project.env.update(enforcing.user(*allowed))
    ray_project.env.update(CANARIES)

    result = ray_project.run()

    assert result.returncode == 1, result
    assert (
        f"[FAIL] Not allowed to secretsmanager:CreateSecret on {OPENAI}: add"
        " secretsmanager:CreateSecret to a policy of the caller" in result.stdout
    ), result
    for canary in CANARIES.values():
        assert canary not in result.stdout + result.stderr


def test_an_unreachable_endpoint_fails_in_one_line(ray_project: Project) -> None:
    from conftest import _free_port

    use_only(ray_project, "secrets")
    ray_project.env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{_free_port()}"
    ray_project.env.update(CANARIES)

    result = ray_project.run()

    assert result.returncode == 1, result
    assert (
        "[FAIL] Cannot call Secrets Manager (EndpointConnectionError" in result.stdout
    )
    assert CANARIES["OPENAI_API_KEY"] not in result.stdout + result.stderr
