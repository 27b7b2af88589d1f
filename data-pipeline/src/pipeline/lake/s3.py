"""Lake backend on S3 (AWS, MinIO, or any endpoint set by `AWS_ENDPOINT_URL`)."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from pipeline.lake.base import Lake, ObjectInfo, ObjectNotFoundError, check_key

# The per-service stubs (mypy-boto3-s3) are not published for this boto3 line.
S3Client = Any

# Above this size boto3 switches to multipart upload; S3 only exposes the object
# once CompleteMultipartUpload succeeds, so both paths are atomic for readers.
MULTIPART_THRESHOLD = 64 * 1024 * 1024


def make_s3_client(max_attempts: int = 5) -> S3Client:
    """A boto3 S3 client with adaptive retries (backoff on 5xx, SlowDown, timeouts).

    Endpoint, credentials and region come from boto3's own environment variables
    (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, ...), so MinIO and moto work unchanged.
    """
    config = Config(
        retries={"max_attempts": max_attempts, "mode": "adaptive"},
        connect_timeout=10,
        read_timeout=60,
        s3={"addressing_style": "path"} if os.environ.get("AWS_ENDPOINT_URL") else None,
    )
    return boto3.client("s3", config=config)


class _ObjectStream(io.RawIOBase):
    """botocore's response body, safe to use in a `with` block.

    botocore's `StreamingBody.__enter__` returns the raw urllib3 stream, so reading inside
    `with body as stream:` skipped botocore's length and checksum checks and leaked
    urllib3's own exception types on a connection broken mid-body.
    """

    def __init__(self, body: Any) -> None:
        super().__init__()
        self._body = body

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return bytes(self._body.read(None if size is None or size < 0 else size))

    def readinto(self, buffer: Any) -> int:
        return int(self._body.readinto(buffer))

    def close(self) -> None:
        self._body.close()
        super().close()


class S3Lake(Lake):
    """Objects are S3 objects under `s3://bucket/prefix/`."""

    def __init__(self, bucket: str, prefix: str = "", client: S3Client | None = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client or make_s3_client()
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _strip(self, full_key: str) -> str:
        return full_key[len(self.prefix) + 1 :] if self.prefix else full_key

    def open_read(self, key: str) -> BinaryIO:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise ObjectNotFoundError(f"no object {key!r} in {self.url}") from error
            raise
        return cast(BinaryIO, _ObjectStream(response["Body"]))

    def _verify(self, key: str, expected_size: int) -> ObjectInfo:
        # "put then verify": a put whose response was lost is retried by botocore; the
        # head proves the whole object is there before callers rely on it.
        info = self.head(key)
        if info is None or info.size != expected_size:
            raise OSError(
                f"write of {key} to {self.url} did not persist: expected {expected_size} "
                f"bytes, found {None if info is None else info.size}"
            )
        return info

    def write_bytes(self, key: str, data: bytes) -> ObjectInfo:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        return self._verify(key, len(data))

    def upload_file(self, key: str, path: Path) -> ObjectInfo:
        from boto3.s3.transfer import TransferConfig

        self.client.upload_file(
            str(path),
            self.bucket,
            self._key(key),
            Config=TransferConfig(multipart_threshold=MULTIPART_THRESHOLD),
        )
        return self._verify(key, path.stat().st_size)

    def download_file(self, key: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        os.close(fd)
        try:
            self.client.download_file(self.bucket, self._key(key), temp_name)
        except ClientError as error:
            Path(temp_name).unlink(missing_ok=True)
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise ObjectNotFoundError(f"no object {key!r} in {self.url}") from error
            raise
        Path(temp_name).replace(path)

    def head(self, key: str) -> ObjectInfo | None:
        try:
            response: Any = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
                return None
            raise
        return ObjectInfo(
            key=key,
            size=int(response["ContentLength"]),
            modified=response["LastModified"],
            etag=str(response.get("ETag", "")).strip('"') or None,
        )

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        full_prefix = f"{self.prefix}/{prefix}" if self.prefix else prefix
        for page in paginator.paginate(Bucket=self.bucket, Prefix=full_prefix):
            for item in page.get("Contents", []):
                yield ObjectInfo(
                    key=self._strip(item["Key"]),
                    size=int(item["Size"]),
                    modified=item["LastModified"],
                    etag=str(item.get("ETag", "")).strip('"') or None,
                )

    def copy(self, source: str, destination: str) -> ObjectInfo:
        try:
            self.client.copy(
                {"Bucket": self.bucket, "Key": self._key(source)},
                self.bucket,
                self._key(destination),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise ObjectNotFoundError(f"no object {source!r} in {self.url}") from error
            raise
        source_info = self.head(source)
        return self._verify(destination, source_info.size if source_info else -1)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def local_path(self, key: str) -> Path | None:
        return None
