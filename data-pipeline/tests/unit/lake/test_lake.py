"""The lake contract, run against the local folder and the loopback S3 server."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from pipeline.lake import (
    Lake,
    LocalLake,
    ObjectNotFoundError,
    UnsafeKeyError,
    check_key,
    open_lake,
)

pytestmark = [pytest.mark.unit, pytest.mark.s3]


def test_write_read_head_round_trip(any_lake: Lake) -> None:
    info = any_lake.write_bytes("raw/ds/a.csv", b"a;b\n1;2\n")
    assert info.size == 8
    assert any_lake.read_bytes("raw/ds/a.csv") == b"a;b\n1;2\n"
    head = any_lake.head("raw/ds/a.csv")
    assert head is not None and head.size == 8
    assert any_lake.head("raw/ds/missing.csv") is None
    assert any_lake.exists("raw/ds/a.csv")
    assert any_lake.sha256("raw/ds/a.csv") == hashlib.sha256(b"a;b\n1;2\n").hexdigest()


def test_missing_object_raises_not_found(any_lake: Lake) -> None:
    with pytest.raises(ObjectNotFoundError):
        any_lake.read_bytes("raw/nope.csv")


def test_list_is_prefix_filtered_and_sorted(any_lake: Lake) -> None:
    for key in ["raw/ds/b.csv", "raw/ds/x=1/a.csv", "raw/other/c.csv", "curated/ds/p.parquet"]:
        any_lake.write_bytes(key, b"x")
    assert [o.key for o in any_lake.list("raw/ds/")] == ["raw/ds/b.csv", "raw/ds/x=1/a.csv"]
    assert len(list(any_lake.list())) == 4


def test_copy_verified_and_move(any_lake: Lake) -> None:
    any_lake.write_bytes("raw/ds/a.csv", b"payload")
    any_lake.copy_verified("raw/ds/a.csv", "archive/ds/2026-01-01/a.csv")
    assert any_lake.read_bytes("archive/ds/2026-01-01/a.csv") == b"payload"
    any_lake.move_verified("raw/ds/a.csv", "quarantine/ds/2026-01-01/a.csv")
    assert not any_lake.exists("raw/ds/a.csv")
    assert any_lake.read_bytes("quarantine/ds/2026-01-01/a.csv") == b"payload"
    any_lake.delete("raw/ds/a.csv")  # deleting a missing key is fine


def test_upload_and_download_file(any_lake: Lake, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(bytes(range(256)) * 4096)
    any_lake.upload_file("raw/ds/big.bin", source)
    target = tmp_path / "out" / "big.bin"
    any_lake.download_file("raw/ds/big.bin", target)
    assert target.read_bytes() == source.read_bytes()


def test_local_upload_from_the_work_folder_links_instead_of_copying(file_lake: LocalLake) -> None:
    """A curated file of gigabytes is not copied; the object outlives its work file."""
    work = file_lake.work_folder()
    source = work / "curated.parquet"
    source.write_bytes(b"parquet bytes")
    file_lake.upload_file("curated/ds/part-1.parquet", source)
    target = file_lake.local_path("curated/ds/part-1.parquet")
    assert target is not None and target.stat().st_ino == source.stat().st_ino
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)
    source.unlink()
    assert file_lake.read_bytes("curated/ds/part-1.parquet") == b"parquet bytes"
    file_lake.copy("curated/ds/part-1.parquet", "curated/ds/copy.parquet")
    copied = file_lake.local_path("curated/ds/copy.parquet")
    assert copied is not None and copied.stat().st_ino != target.stat().st_ino
    assert [o.key for o in file_lake.list()] == [
        "curated/ds/copy.parquet",
        "curated/ds/part-1.parquet",
    ], "the work folder is never listed"


@pytest.mark.parametrize(
    "key", ["", "/abs", "raw/../models/x", "raw/./a", "a\\b", "raw//a", "..", "a\x00b"]
)
def test_unsafe_keys_are_refused(key: str) -> None:
    with pytest.raises(UnsafeKeyError):
        check_key(key)


def test_unsafe_key_refused_by_backends(any_lake: Lake) -> None:
    with pytest.raises(UnsafeKeyError):
        any_lake.write_bytes("raw/../models/x", b"no")


def test_local_write_is_atomic_for_readers(file_lake: LocalLake) -> None:
    """A reader polling during rewrites sees either whole version, never a mix or a prefix."""
    old, new = b"A" * 2_000_000, b"B" * 3_000_000
    file_lake.write_bytes("curated/x.bin", old)
    seen: set[bytes] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            data = file_lake.read_bytes("curated/x.bin")
            seen.add(data[:1] + str(len(data)).encode())

    thread = threading.Thread(target=reader)
    thread.start()
    for _ in range(20):
        file_lake.write_bytes("curated/x.bin", new)
        file_lake.write_bytes("curated/x.bin", old)
    stop.set()
    thread.join()
    assert seen <= {b"A2000000", b"B3000000"}
    assert [o.key for o in file_lake.list()] == ["curated/x.bin"]  # no temp files left


def test_open_lake_parses_urls(tmp_path: Path, s3_bucket: str) -> None:
    local = open_lake((tmp_path / "l").as_uri())
    assert isinstance(local, LocalLake)
    s3 = open_lake(f"s3://{s3_bucket}/pre/fix")
    s3.write_bytes("raw/a.csv", b"1")
    assert [o.key for o in s3.list("raw/")] == ["raw/a.csv"]
    with pytest.raises(ValueError, match="unsupported lake URL"):
        open_lake("ftp://x")
