"""A small Ray Data pipeline: text files in S3 -> OpenAI embeddings -> Pinecone."""
