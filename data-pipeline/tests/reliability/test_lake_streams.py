"""Reading objects back from S3 when the answer breaks off or arrives corrupted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import BotoCoreError
from reliability_proxy import FaultProxy, Rule

from pipeline.lake import S3Lake, make_s3_client

pytestmark = [pytest.mark.reliability, pytest.mark.s3]

DATA = bytes(range(256)) * 400  # 100 KiB


@pytest.fixture
def proxy(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    faults = FaultProxy(s3_server).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", faults.url)
    yield faults
    faults.clear()
    faults.wait_idle()
    faults.stop()


@pytest.fixture
def lake(proxy: FaultProxy, s3_bucket: str) -> S3Lake:
    lake = S3Lake(s3_bucket, "lake", client=make_s3_client(3))
    lake.write_bytes("raw/ds/blob.bin", DATA)
    return lake


@pytest.mark.parametrize("reader", ["read_bytes", "sha256", "with-stream"])
def test_body_cut_off_midway_raises_a_storage_error(
    proxy: FaultProxy, lake: S3Lake, reader: str
) -> None:
    """Half an object is never returned as if it were the object; the error is botocore's."""
    proxy.plan(Rule("get", r"blob\.bin$", "truncate", times=1))
    with pytest.raises(BotoCoreError):
        if reader == "read_bytes":
            lake.read_bytes("raw/ds/blob.bin")
        elif reader == "sha256":
            lake.sha256("raw/ds/blob.bin")
        else:
            with lake.open_read("raw/ds/blob.bin") as stream:
                stream.read()
    assert len(proxy.faults_applied()) == 1
    assert lake.read_bytes("raw/ds/blob.bin") == DATA  # the next read is whole


def test_corrupted_body_fails_its_checksum(proxy: FaultProxy, lake: S3Lake) -> None:
    """A flipped bit in transit fails the response checksum instead of reaching the caller."""
    proxy.plan(Rule("get", r"blob\.bin$", "corrupt", times=1))
    with pytest.raises(BotoCoreError, match="checksum"):
        lake.read_bytes("raw/ds/blob.bin")
    assert lake.read_bytes("raw/ds/blob.bin") == DATA
