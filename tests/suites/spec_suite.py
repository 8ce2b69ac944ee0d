"""Ten checks named as the spec prints them; each obeys a file in gates/.

A check appends its id to ran.txt when its function runs, and reads
gates/<id>: absent passes, "fail" fails, "raise" raises, "sleep N" sleeps
N seconds and then passes, "stubborn N" sleeps N seconds and ignores the
first Ctrl+C, "hang" sleeps a minute.
"""

from __future__ import annotations

import time

from flightcheck import Context, check, env, files, secret, title

title("Ray Pipeline")


def obey(ctx: Context) -> None:
    with (ctx.project / "ran.txt").open("a") as ran:
        ran.write(ctx.check.id + "\n")
    gate = ctx.project / "gates" / ctx.check.id
    behaviour = gate.read_text().split() if gate.exists() else []
    if behaviour[:1] == ["sleep"]:
        ctx.info(f"Working for {behaviour[1]}s...")
        time.sleep(float(behaviour[1]))
    elif behaviour[:1] == ["stubborn"]:
        ctx.info("Ignoring the first Ctrl+C...")
        try:
            time.sleep(float(behaviour[1]))
        except KeyboardInterrupt:
            time.sleep(float(behaviour[1]))
    elif behaviour == ["hang"]:
        time.sleep(60)
    elif behaviour == ["fail"]:
        ctx.fail(f"{ctx.check.name} is not ready (gates/{ctx.check.id})")
        return
    elif behaviour == ["raise"]:
        raise RuntimeError(f"{ctx.check.id} blew up")
    ctx.ok(f"{ctx.check.name} is ready")


@check("aws-cli", "AWS CLI")
def aws_cli(ctx: Context) -> None:
    obey(ctx)


@check("credentials", "AWS Credentials", needs=["aws-cli"], inputs=[env("AWS_PROFILE")])
def credentials(ctx: Context) -> None:
    obey(ctx)


@check("region", "AWS Region", needs=["credentials"])
def region(ctx: Context) -> None:
    obey(ctx)


@check("docker", "Docker")
def docker(ctx: Context) -> None:
    obey(ctx)


@check("permissions", "AWS Permissions", needs=["credentials"])
def permissions(ctx: Context) -> None:
    obey(ctx)


@check(
    "api-keys",
    "API Keys → Secrets Manager",
    needs=["credentials"],
    inputs=[secret("OPENAI_API_KEY")],
)
def api_keys(ctx: Context) -> None:
    obey(ctx)
    ctx.info("OPENAI_API_KEY is " + __import__("os").environ.get("OPENAI_API_KEY", ""))


@check("bucket", "S3 Bucket Name", inputs=[files("params.json")])
def bucket(ctx: Context) -> None:
    obey(ctx)


@check(
    "image",
    "Docker Image — Build & Push to ECR",
    needs=["docker", "credentials"],
    inputs=[files("Dockerfile", "app")],
)
def image(ctx: Context) -> None:
    obey(ctx)


@check("quotas", "AWS Service Quotas", needs=["credentials"], ttl="1h")
def quotas(ctx: Context) -> None:
    obey(ctx)


@check("template", "CloudFormation Template", inputs=[files("*.yaml")])
def template(ctx: Context) -> None:
    obey(ctx)
