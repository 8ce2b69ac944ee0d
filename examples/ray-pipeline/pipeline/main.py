"""Embed the text files under an S3 prefix and upsert them into a Pinecone index.

Run it on the cluster's head node, inside the image:

    python -m pipeline.main --bucket BUCKET --prefix docs/ --index ray-pipeline

The API keys are read from Secrets Manager, where check 6 stored them; the
names come from the environment the CloudFormation stack sets.
"""

from __future__ import annotations

import argparse
import hashlib
import os
from typing import Any

import boto3
import ray

EMBEDDING_MODEL = "text-embedding-3-small"
BATCH_SIZE = 64


def read_secret(name: str) -> str:
    """The value of a Secrets Manager secret, by name."""
    client = boto3.client("secretsmanager")
    return str(client.get_secret_value(SecretId=name)["SecretString"])


class Embedder:
    """Embeds a batch of lines and upserts the vectors; one per Ray actor."""

    def __init__(self, index: str) -> None:
        from openai import OpenAI
        from pinecone import Pinecone

        self.openai = OpenAI(api_key=read_secret(os.environ["OPENAI_SECRET_NAME"]))
        pinecone = Pinecone(api_key=read_secret(os.environ["PINECONE_SECRET_NAME"]))
        self.index = pinecone.Index(index)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        texts = [str(text) for text in batch["text"]]
        reply = self.openai.embeddings.create(model=EMBEDDING_MODEL, input=texts)
        vectors = [
            {
                "id": hashlib.sha256(f"{path}\n{text}".encode()).hexdigest(),
                "values": item.embedding,
                "metadata": {"path": str(path), "text": text},
            }
            for path, text, item in zip(batch["path"], texts, reply.data, strict=True)
        ]
        self.index.upsert(vectors=vectors)
        return {"upserted": [len(vectors)]}


def run(bucket: str, prefix: str, index: str, actors: int) -> int:
    """Embed every non-empty line under ``s3://bucket/prefix``; return the count."""
    lines = ray.data.read_text(f"s3://{bucket}/{prefix}", include_paths=True)
    lines = lines.filter(lambda row: bool(row["text"].strip()))
    done = lines.map_batches(
        Embedder,
        fn_constructor_kwargs={"index": index},
        batch_size=BATCH_SIZE,
        concurrency=actors,
    )
    return int(done.sum("upserted") or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bucket", default=os.environ.get("PIPELINE_BUCKET"))
    parser.add_argument("--prefix", default="docs/")
    parser.add_argument("--index", default="ray-pipeline")
    parser.add_argument("--actors", type=int, default=2)
    args = parser.parse_args()
    if not args.bucket:
        parser.error("--bucket is required (or set PIPELINE_BUCKET)")
    ray.init(address="auto")
    count = run(args.bucket, args.prefix, args.index, args.actors)
    print(f"Upserted {count} vectors into the Pinecone index {args.index}")


if __name__ == "__main__":
    main()
