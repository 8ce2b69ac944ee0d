"""Check 8, the image: real builds and pushes to the test registry, and ECR."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from conftest import Aws, Docker, Project, use_only
from flightcheck.ray import build_context
from flightcheck.ray import config as ray_config

# What moto's ECR authorization token decodes to, as the test registry expects.
USER, PASSWORD = "AWS", "123456789012-auth-token"
TAG = re.compile(r"ctx-[0-9a-f]{20}")


def set_image(project: Project, **values: str) -> None:
    """Put ``values`` into the [image] table of the project's flightcheck.toml."""
    toml = project.root / "flightcheck.toml"
    lines = "".join(f'{key} = "{value}"\n' for key, value in values.items())
    toml.write_text(toml.read_text().replace("[image]\n", f"[image]\n{lines}"))


def age(root: Path) -> None:
    """Date every file an hour back, as a checkout some time ago would be."""
    past = time.time() - 3600
    for path in [root, *root.rglob("*")]:
        os.utime(path, (past, past), follow_symlinks=False)


@pytest.fixture
def pushing(ray_project: Project, docker_engine: Docker) -> Project:
    """Check 8 alone, pushing to the test registry into a repository of its own."""
    use_only(ray_project, "image")
    repository = f"flightcheck-test-{uuid.uuid4().hex[:12]}"
    set_image(ray_project, registry=docker_engine.registry, repository=repository)
    ray_project.env["DOCKER_HOST"] = docker_engine.host
    return ray_project


def registry_tags(registry: str, repository: str) -> list[str]:
    request = urllib.request.Request(f"http://{registry}/v2/{repository}/tags/list")
    login = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    request.add_header("Authorization", f"Basic {login}")
    with urllib.request.urlopen(request, timeout=10) as response:
        tags: list[str] = json.load(response)["tags"]
    return tags


def repository_of(project: Project) -> str:
    match = re.search(
        r'repository = "([^"]+)"', (project.root / "flightcheck.toml").read_text()
    )
    assert match is not None
    return match.group(1)


def logs(project: Project) -> str:
    return "".join(path.read_text() for path in (project.state / "logs").glob("*.log"))


def test_first_run_builds_and_pushes_the_tag(
    pushing: Project, docker_engine: Docker, tmp_path: Path
) -> None:
    user_config = tmp_path / "docker-config"
    user_config.mkdir()
    (user_config / "config.json").write_text("{}")
    pushing.env["DOCKER_CONFIG"] = str(user_config)

    result = pushing.run(timeout=300)

    assert result.returncode == 0, result
    repository = repository_of(pushing)
    assert f"  [INFO] Created ECR repository {repository}\n" in result.stdout
    assert "  [INFO] Step 1/2 : FROM scratch\n" in result.stdout
    assert "  [INFO] Step 2/2 : COPY app /app\n" in result.stdout
    pushed = re.search(r"\[PASS\] Image pushed to .*: (\S+)\n", result.stdout)
    assert pushed is not None, result
    reference = pushed.group(1)
    tag = reference.rsplit(":", 1)[1]
    assert reference == f"{docker_engine.registry}/{repository}:{tag}"
    assert TAG.fullmatch(tag)
    assert tag in registry_tags(docker_engine.registry, repository)
    record = pushing.checkpoint["checks"]["1"]  # type: ignore[index]
    assert record["fingerprint"]["image:content"] == tag
    assert "docker build | Successfully tagged" in logs(pushing)
    # The login went to a throw-away Docker config, not the user's.
    assert json.loads((user_config / "config.json").read_text()) == {}


def test_the_registry_password_appears_nowhere(pushing: Project) -> None:
    result = pushing.run(timeout=300)

    assert result.returncode == 0, result
    encoded = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    written = [result.stdout, result.stderr, logs(pushing)]
    written.append((pushing.state / "latest_checkpoint.json").read_text())
    written += [p.read_text() for p in (pushing.state / "cache").glob("*")]
    for text in written:
        assert PASSWORD not in text
        assert encoded not in text


def test_a_fresh_state_directory_finds_the_tag_without_building(
    pushing: Project, docker_engine: Docker
) -> None:
    first = pushing.run(timeout=300)
    assert first.returncode == 0, first
    reference = re.search(r"\[PASS\] Image pushed to .*: (\S+)\n", first.stdout)
    assert reference is not None

    for path in sorted(pushing.state.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    second = pushing.run(timeout=300)

    assert second.returncode == 0, second
    expected = f"[PASS] Image already in {reference.group(1)} (no build needed)"
    assert expected in second.stdout
    assert "Step " not in second.stdout
    log = logs(pushing)
    assert f"Found {reference.group(1)} in the registry: no build needed" in log
    assert "docker build" not in log


def test_editing_a_context_file_reruns_the_check_by_itself(
    ray_project: Project, docker_engine: Docker
) -> None:
    use_only(ray_project, "docker_engine", "image")
    repository = f"flightcheck-test-{uuid.uuid4().hex[:12]}"
    set_image(ray_project, registry=docker_engine.registry, repository=repository)
    ray_project.env["DOCKER_HOST"] = docker_engine.host
    first = ray_project.run(timeout=300)
    assert first.returncode == 0, first
    old = TAG.findall(first.stdout)[-1]

    (ray_project.root / "app" / "main.py").write_text("print('ray, edited')\n")
    second = ray_project.run(timeout=300)

    assert second.returncode == 0, second
    assert "[ 1 ] Docker - Skipped (completed in previous run)" in second.stdout
    assert "  [INFO] Re-running: inputs changed: image:content\n" in second.stdout
    new = TAG.findall(second.stdout)[-1]
    assert new != old
    assert {old, new} <= set(registry_tags(docker_engine.registry, repository))


def test_editing_a_file_dockerignore_excludes_changes_nothing(
    pushing: Project,
) -> None:
    (pushing.root / "build").mkdir()
    (pushing.root / "build" / "out.txt").write_text("one\n")
    assert pushing.run(timeout=300).returncode == 0

    (pushing.root / "build" / "out.txt").write_text("two, longer\n")
    (pushing.root / "scratch.tmp").write_text("ignored\n")
    second = pushing.run(timeout=300)

    assert second.returncode == 0, second
    assert "Skipped (completed in previous run)" in second.stdout
    assert "Checks: 0 ran, 1 skipped" in second.stdout


def test_a_failing_build_fails_with_its_output(pushing: Project) -> None:
    (pushing.root / "Dockerfile").write_text("FROM scratch\nBOGUSINSTRUCTION x\n")

    result = pushing.run(timeout=300)

    assert result.returncode == 1, result
    assert "[FAIL] docker build failed (exit 1); fix Dockerfile" in result.stdout
    assert "bogusinstruction" in result.stdout.lower()  # the engine's own words
    assert "Image pushed" not in result.stdout


def test_a_skipped_run_reads_the_listing_cache_without_importing_docker(
    pushing: Project,
) -> None:
    age(pushing.root)
    assert pushing.run(timeout=300).returncode == 0

    done, imported = pushing.imports()

    assert "Checks: 0 ran, 1 skipped" in done.stdout, done
    assert "docker" not in imported
    cache = pushing.state / "cache" / build_context.CACHE_FILE
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700


def test_ecr_holding_the_tag_passes_without_an_engine(
    ray_project: Project, aws: Aws
) -> None:
    use_only(ray_project, "image")
    context = build_context.BuildContext.of(ray_config.load(ray_project.root))
    tag = build_context.tag_of(
        build_context.content_hash(context, (ray_project.state,))
    )
    ecr = aws.client("ecr")
    ecr.create_repository(repositoryName="ray-pipeline")
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "layers": [],
        "config": {},
    }
    ecr.put_image(
        repositoryName="ray-pipeline", imageManifest=json.dumps(manifest), imageTag=tag
    )
    ray_project.env["DOCKER_HOST"] = "unix:///nonexistent.sock"

    result = ray_project.run()

    assert result.returncode == 0, result
    expected = (
        "[PASS] Image already in 123456789012.dkr.ecr.us-east-1.amazonaws.com/"
        f"ray-pipeline:{tag} (no build needed)"
    )
    assert expected in result.stdout
    assert "Created ECR repository" not in result.stdout


def test_a_missing_image_with_no_engine_fails_plainly(ray_project: Project) -> None:
    use_only(ray_project, "image")
    ray_project.env["DOCKER_HOST"] = "unix:///nonexistent.sock"

    result = ray_project.run()

    assert result.returncode == 1, result
    assert "  [INFO] Created ECR repository ray-pipeline\n" in result.stdout
    assert "[FAIL] The Docker engine is not running or not reachable" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_an_unreachable_registry_names_the_key(ray_project: Project) -> None:
    use_only(ray_project, "image")
    set_image(ray_project, registry="127.0.0.1:1")

    result = ray_project.run()

    assert result.returncode == 1, result
    assert "[FAIL] The registry 127.0.0.1:1 cannot be reached (" in result.stdout
    assert "fix image.registry in flightcheck.toml" in result.stdout


def test_a_missing_dockerfile_names_the_path_and_the_key(ray_project: Project) -> None:
    use_only(ray_project, "image")
    (ray_project.root / "Dockerfile").unlink()

    result = ray_project.run()

    assert result.returncode == 1, result
    assert (
        f"[FAIL] The Dockerfile {ray_project.root / 'Dockerfile'} does not exist"
        in (result.stdout)
    )
    assert "image.dockerfile (relative to image.context) in flightcheck.toml" in (
        result.stdout
    )


# --- The content hash, directly --------------------------------------------


@pytest.fixture
def context_dir(tmp_path: Path) -> Path:
    root = tmp_path / "context"
    (root / "app").mkdir(parents=True)
    (root / "app" / "run.sh").write_text("echo hi\n")
    (root / "Dockerfile").write_text("FROM scratch\nCOPY app /app\n")
    (root / ".dockerignore").write_text("# notes\nbuild/\n*.tmp\n!keep.tmp\n")
    return root


def _hash(root: Path, **changes: object) -> str:
    values: dict[str, object] = {
        "root": root,
        "dockerfile": "Dockerfile",
        "build_args": (),
        "platform": "linux/amd64",
    }
    values.update(changes)
    return build_context.content_hash(build_context.BuildContext(**values))  # type: ignore[arg-type]


def test_the_hash_follows_dockerignore(context_dir: Path) -> None:
    before = _hash(context_dir)
    (context_dir / "build").mkdir()
    (context_dir / "build" / "x").write_text("x")
    (context_dir / "junk.tmp").write_text("x")
    assert _hash(context_dir) == before

    (context_dir / "keep.tmp").write_text("x")  # re-included by !keep.tmp
    assert _hash(context_dir) != before


def test_the_hash_covers_contents_modes_arguments_and_platform(
    context_dir: Path,
) -> None:
    before = _hash(context_dir)
    script = context_dir / "app" / "run.sh"
    script.chmod(0o755)
    assert _hash(context_dir) != before

    script.chmod(0o644)
    assert _hash(context_dir) == before
    assert _hash(context_dir, platform="linux/arm64") != before
    assert _hash(context_dir, build_args=(("VERSION", "2"),)) != before
    script.write_text("echo bye\n")
    assert _hash(context_dir) != before


def test_the_hash_leaves_out_the_state_directory(context_dir: Path) -> None:
    before = _hash(context_dir)
    state = context_dir / ".checkpoints"
    state.mkdir()
    (state / "latest_checkpoint.json").write_text("{}")
    context = build_context.BuildContext(context_dir, "Dockerfile", (), "linux/amd64")

    assert build_context.content_hash(context, (state,)) == before


def test_the_listing_cache_answers_only_for_an_unchanged_listing(
    context_dir: Path, tmp_path: Path
) -> None:
    age(context_dir)
    context = build_context.BuildContext(context_dir, "Dockerfile", (), "linux/amd64")
    cache = tmp_path / "cache"
    first = build_context.cached_content_hash(context, (), cache)
    assert first == build_context.content_hash(context)

    # A planted answer proves the second call reads the cache, not the files.
    path = cache / build_context.CACHE_FILE
    data = json.loads(path.read_text())
    data["entries"] = {key: "planted" for key in data["entries"]}
    path.write_text(json.dumps(data))
    assert build_context.cached_content_hash(context, (), cache) == "planted"

    (context_dir / "app" / "new.txt").write_text("new\n")
    assert build_context.cached_content_hash(
        context, (), cache
    ) == build_context.content_hash(context)
