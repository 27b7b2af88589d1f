"""A small view of the lake (file:// or s3://): bytes, ETags, verified reads.

Read-only except for one prefix: `predictions/` (sampled request logs). Every write goes
through `check_log_key`, so no code path here can write under `models/` or anywhere else.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from urllib.parse import unquote, urlparse


class LakeError(OSError):
    """The lake could not be read (unreachable, permission, I/O)."""


class ObjectMissingError(LakeError):
    """The key does not exist in the lake."""


class IntegrityError(ValueError):
    """An object's bytes do not match the sha256 (or size) its manifest promises."""


@dataclass(frozen=True)
class LakeObject:
    """An object's bytes and the tag that changes whenever they change."""

    key: str
    data: bytes
    etag: str


class LakeReader(Protocol):
    """What model-api needs from a lake: read an object, ask whether it changed."""

    url: str

    def read(self, key: str) -> LakeObject:
        """The object's bytes; ObjectMissingError or LakeError on failure."""
        ...

    def etag(self, key: str) -> str | None:
        """A tag that changes with the object's content; None when it does not exist."""
        ...


WRITABLE_PREFIX = "predictions/"


class WriteRefusedError(ValueError):
    """A write outside `predictions/`: model-api never writes anything else to the lake."""


def check_log_key(key: str) -> str:
    """The key, if it is a valid key below `predictions/`.

    Raises:
        WriteRefusedError: any other key (models/, reports/, traversal, ...).
    """
    try:
        _check_key(key)
    except ValueError as error:
        raise WriteRefusedError(str(error)) from error
    if not key.startswith(WRITABLE_PREFIX) or key == WRITABLE_PREFIX:
        raise WriteRefusedError(
            f"model-api writes only below {WRITABLE_PREFIX!r} of the lake; refused {key!r}"
        )
    return key


@runtime_checkable
class LakeLogWriter(Protocol):
    """A lake that can also store prediction logs (and nothing else)."""

    url: str

    def write_log(self, key: str, data: bytes) -> None:
        """Store `data` at `key` below `predictions/`; WriteRefusedError elsewhere."""
        ...


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in {"", ".", ".."} for p in parts):
        raise ValueError(f"invalid lake key {key!r}")
    return key


class FileLakeReader:
    """A lake under a local directory (`file:///abs/path`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = root.as_uri()

    def read(self, key: str) -> LakeObject:
        """Read `key` below the root; the ETag is the sha256 of the bytes."""
        path = self.root / _check_key(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError as error:
            raise ObjectMissingError(f"no object {key!r} in {self.url}") from error
        except OSError as error:
            raise LakeError(f"cannot read {key!r} from {self.url}: {error}") from error
        return LakeObject(key, data, hashlib.sha256(data).hexdigest())

    def etag(self, key: str) -> str | None:
        """sha256 of the bytes (the files polled here are a few hundred bytes)."""
        try:
            return self.read(key).etag
        except ObjectMissingError:
            return None

    def write_log(self, key: str, data: bytes) -> None:
        """Write below `predictions/` atomically: a temporary file, then a rename.

        Raises:
            WriteRefusedError: the key is outside `predictions/`.
            LakeError: the file could not be written.
        """
        path = self.root / check_log_key(key)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(data)
            temporary.replace(path)  # readers see the whole file or none of it
        except OSError as error:
            with contextlib.suppress(OSError):  # the parent may not even exist
                temporary.unlink(missing_ok=True)
            raise LakeError(f"cannot write {key!r} to {self.url}: {error}") from error


class S3LakeReader:
    """A lake under `s3://bucket/prefix`; endpoint and credentials from boto3's variables."""

    def __init__(self, bucket: str, prefix: str = "", client: Any = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self.client = client or make_s3_client()

    def _full(self, key: str) -> str:
        _check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def read(self, key: str) -> LakeObject:
        """GET the object; the ETag is S3's."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._full(key))
            data: bytes = response["Body"].read()
        except ClientError as error:
            if _is_missing(error):
                raise ObjectMissingError(f"no object {key!r} in {self.url}") from error
            raise LakeError(f"cannot read {key!r} from {self.url}: {error}") from error
        except BotoCoreError as error:
            raise LakeError(f"cannot reach {self.url}: {error}") from error
        return LakeObject(key, data, str(response.get("ETag", "")).strip('"'))

    def etag(self, key: str) -> str | None:
        """HEAD the object (cheap poll); None when it does not exist."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self.client.head_object(Bucket=self.bucket, Key=self._full(key))
        except ClientError as error:
            if _is_missing(error):
                return None
            raise LakeError(f"cannot reach {self.url}: {error}") from error
        except BotoCoreError as error:
            raise LakeError(f"cannot reach {self.url}: {error}") from error
        return str(response.get("ETag", "")).strip('"')

    def write_log(self, key: str, data: bytes) -> None:
        """PUT below `predictions/` (one PUT is atomic on S3).

        Raises:
            WriteRefusedError: the key is outside `predictions/`.
            LakeError: S3 could not be reached or refused the write.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        full = self._full(check_log_key(key))
        try:
            self.client.put_object(Bucket=self.bucket, Key=full, Body=data)
        except (ClientError, BotoCoreError) as error:
            raise LakeError(f"cannot write {key!r} to {self.url}: {error}") from error


def _is_missing(error: Any) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    return code in {"NoSuchKey", "404", "NotFound"}


def make_s3_client() -> Any:
    """A boto3 S3 client; `AWS_ENDPOINT_URL` (MinIO, moto) is honoured by boto3 itself.

    Short timeouts and few retries: a poll that cannot reach S3 should fail fast and
    try again at the next interval while the loaded model keeps serving. boto3 is
    imported here, not at module level: it costs ~0.3 s of start-up a file:// lake
    does not need.
    """
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"max_attempts": 2, "mode": "standard"},
        connect_timeout=3,
        read_timeout=30,
        s3={"addressing_style": "path"} if os.environ.get("AWS_ENDPOINT_URL") else None,
    )
    return boto3.client("s3", config=config)


def open_lake_reader(url: str) -> LakeReader:
    """A reader for `file:///abs/path` or `s3://bucket[/prefix]`."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        if parsed.netloc not in {"", "localhost"}:
            raise ValueError(f"file:// lake URLs must be absolute paths, got {url!r}")
        return FileLakeReader(Path(unquote(parsed.path)))
    if parsed.scheme == "s3" and parsed.netloc:
        return S3LakeReader(parsed.netloc, parsed.path)
    raise ValueError(f"unsupported lake URL {url!r}: use file:///abs/path or s3://bucket[/prefix]")


def verify(obj: LakeObject, sha256: str, size: int | None = None) -> bytes:
    """The object's bytes, after checking them against the expected sha256 (and size).

    Raises:
        IntegrityError: the bytes differ from what the manifest promises.
    """
    if size is not None and len(obj.data) != size:
        raise IntegrityError(f"{obj.key}: {len(obj.data)} bytes, manifest says {size}")
    actual = hashlib.sha256(obj.data).hexdigest()
    if actual != sha256.lower():
        raise IntegrityError(f"{obj.key}: sha256 {actual} does not match manifest {sha256}")
    return obj.data
