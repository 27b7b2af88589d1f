"""The data lake: one storage interface, a local-folder and an S3 backend."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from pipeline.lake.base import (
    Lake,
    ObjectInfo,
    ObjectNotFoundError,
    UnsafeKeyError,
    check_key,
    join_key,
    sha256_of_file,
)
from pipeline.lake.local import LocalLake
from pipeline.lake.s3 import S3Lake, make_s3_client

__all__ = [
    "Lake",
    "LocalLake",
    "ObjectInfo",
    "ObjectNotFoundError",
    "S3Lake",
    "UnsafeKeyError",
    "check_key",
    "join_key",
    "make_s3_client",
    "open_lake",
    "sha256_of_file",
]


def open_lake(url: str, storage_retries: int = 5) -> Lake:
    """The lake at `url`: `file:///abs/path` or `s3://bucket[/prefix]`."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        root = Path(unquote(parsed.path))
        root.mkdir(parents=True, exist_ok=True)
        return LocalLake(root)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"s3 lake URL needs a bucket: {url!r}")
        return S3Lake(parsed.netloc, parsed.path, client=make_s3_client(storage_retries + 1))
    raise ValueError(f"unsupported lake URL {url!r}: use file:///abs/path or s3://bucket[/prefix]")
