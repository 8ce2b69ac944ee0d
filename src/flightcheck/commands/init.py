"""``flightcheck init``: the files a Ray pipeline project starts from.

Each file is written only where it is missing; an existing file is never
touched, so running it again (or on a project that is half set up) is safe.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from flightcheck.errors import ExitCode, UsageError
from flightcheck.ray.config import DEFAULT_PARAMETERS

CONFIG = "flightcheck.toml"
ENTRY_POINT = "1_prerequisites/check_prerequisites.py"
PLACEHOLDER_BUCKET = "REPLACE_ME-unique-bucket-name"

_CONFIG_TEXT = """\
# How this Ray pipeline project describes itself to flightcheck, which runs
# the ten "Ray on AWS" prerequisite checks before `aws cloudformation
# create-stack`. Every key shows its default. Paths are relative to this
# file; a path set here must exist, so the path keys stay commented until
# you change them.

[project]
# The default prefix of the ECR repository and of the secret names.
name = "ray-pipeline"
# The AWS region; when unset, the AWS settings' (AWS_REGION, ~/.aws/config).
# region = "us-east-1"

[cloudformation]
# template = "2_cloudformation/template.yaml"
# parameters = "2_cloudformation/cloudformation-parameters.json"
# The template parameter that names the pipeline's S3 bucket (check 7).
bucket_parameter = "S3BucketName"

[image]
# The Docker build context and its Dockerfile (check 8).
# context = "."
# dockerfile = "Dockerfile"
# The ECR repository; when unset, project.name.
# repository = "ray-pipeline"
platform = "linux/amd64"
# Push to this registry (host:port) instead of the ECR endpoint, when set.
registry = ""
# build_args = { PYTHON_VERSION = "3.11" }

[ray]
# The Ray head and worker instance types (checks 3 and 9), and the most
# workers the cluster grows to (the vCPU quota of check 9).
head_instance_type = "m5.xlarge"
worker_instance_type = "m5.2xlarge"
max_workers = 4

[aws]
# The oldest AWS CLI accepted (check 1); v1 passes with a warning unless set.
# cli_min_version = "2.0"
# Actions the deployment needs beyond the built-in list (check 5).
extra_permissions = []

[secrets]
# Environment variable = Secrets Manager secret name (check 6).
OPENAI_API_KEY = "ray-pipeline/openai-api-key"
PINECONE_API_KEY = "ray-pipeline/pinecone-api-key"
"""

_PARAMETERS_TEXT = (
    json.dumps(
        [{"ParameterKey": "S3BucketName", "ParameterValue": PLACEHOLDER_BUCKET}],
        indent=2,
    )
    + "\n"
)

_ENTRY_POINT_TEXT = '''\
#!/usr/bin/env python3
"""Check the prerequisites of deploying this Ray pipeline, with flightcheck.

Runs the checks of the project one directory up and keeps the checkpoints in
.checkpoints/ beside this file. Every option of flightcheck works here:
--full (-f), --from-check N, --list-checkpoints (-l), --explain, --help.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    try:
        from flightcheck.cli import main as flightcheck
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "flightcheck":
            raise
        sys.stderr.write(
            "check_prerequisites.py needs flightcheck: pip install flightcheck\\n"
        )
        return 2
    where = ["--project", str(HERE.parent), "--state-dir", str(HERE / ".checkpoints")]
    return flightcheck([*where, *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
'''

#: What ``init`` writes, in the order it reports them.
FILES = {
    CONFIG: _CONFIG_TEXT,
    DEFAULT_PARAMETERS: _PARAMETERS_TEXT,
    ENTRY_POINT: _ENTRY_POINT_TEXT,
}


def init(project: str | None) -> int:
    """Write every missing starting file of the project; keep the others."""
    root = Path(project or ".").expanduser().resolve()
    if not root.is_dir():
        raise UsageError(
            f"the project directory {root} does not exist: check --project"
        )
    for relative, text in FILES.items():
        made = _write_new(root / relative, text, executable=relative == ENTRY_POINT)
        state = "created" if made else "kept (already exists)"
        sys.stdout.write(f"{state:<22} {relative}\n")
    sys.stdout.write(
        f"\nNext: give S3BucketName a bucket name of your own in {DEFAULT_PARAMETERS},"
        f"\nthen run: python {ENTRY_POINT}\n"
    )
    return ExitCode.OK


def _write_new(path: Path, text: str, *, executable: bool) -> bool:
    """Write ``path`` unless something is there already; say whether it wrote."""
    mode = 0o755 if executable else 0o644
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {path.parent}: {exc.strerror}") from None
    try:
        # O_EXCL, not a prior exists(): a file appearing meanwhile is kept too.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return False
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as stream:
        stream.write(text)
    return True
