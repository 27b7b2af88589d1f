"""lake.py: reading file:// lakes and verifying hashes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from model_api.lake import (
    FileLakeReader,
    IntegrityError,
    ObjectMissingError,
    S3LakeReader,
    open_lake_reader,
    verify,
)

pytestmark = pytest.mark.unit


def test_file_reader_reads_and_tags_by_content(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.json").write_bytes(b"{}")
    lake = open_lake_reader(tmp_path.as_uri())
    assert isinstance(lake, FileLakeReader)
    obj = lake.read("models/a.json")
    assert obj.data == b"{}"
    assert lake.etag("models/a.json") == hashlib.sha256(b"{}").hexdigest()
    assert lake.etag("models/none.json") is None
    with pytest.raises(ObjectMissingError):
        lake.read("models/none.json")


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a//b", "a/./b"])
def test_keys_cannot_escape_the_lake(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="invalid lake key"):
        FileLakeReader(tmp_path).read(key)


def test_verify_refuses_other_bytes(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"abc")
    obj = FileLakeReader(tmp_path).read("f")
    good = hashlib.sha256(b"abc").hexdigest()
    assert verify(obj, good, 3) == b"abc"
    with pytest.raises(IntegrityError, match="does not match"):
        verify(obj, hashlib.sha256(b"abd").hexdigest())
    with pytest.raises(IntegrityError, match="3 bytes"):
        verify(obj, good, 4)


def test_url_parsing() -> None:
    lake = open_lake_reader("s3://bucket/some/prefix")
    assert isinstance(lake, S3LakeReader)
    assert (lake.bucket, lake.prefix) == ("bucket", "some/prefix")
    with pytest.raises(ValueError, match="unsupported lake URL"):
        open_lake_reader("gs://bucket")
