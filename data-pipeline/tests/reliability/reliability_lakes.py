"""Lakes for fault tests: one through the fault proxy, one straight to the S3 server."""

from __future__ import annotations

import boto3
from botocore.config import Config

from pipeline.lake import S3Lake, make_s3_client

# The client gives up on an answer after this long; the proxy's "timeout" holds one longer.
READ_TIMEOUT = 1.0


def faulty_lake(bucket: str, attempts: int) -> S3Lake:
    """The lake through AWS_ENDPOINT_URL (the proxy), with the pipeline's own retry config.

    Only the read timeout is shortened (from 60 s) so the timeout fault costs seconds.
    """
    config = make_s3_client(attempts).meta.config.merge(
        Config(read_timeout=READ_TIMEOUT, connect_timeout=READ_TIMEOUT)
    )
    return S3Lake(bucket, "lake", client=boto3.client("s3", config=config))


def direct_lake(s3_server: str, bucket: str) -> S3Lake:
    """The same lake seen without the proxy: what another reader sees."""
    client = boto3.client(
        "s3", endpoint_url=s3_server, config=Config(s3={"addressing_style": "path"})
    )
    return S3Lake(bucket, "lake", client=client)
