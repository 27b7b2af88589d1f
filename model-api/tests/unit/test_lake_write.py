"""lake.py's only write path: prediction logs below predictions/, nothing else, atomically."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from conftest import Lake
from model_api.lake import (
    LakeError,
    LakeLogWriter,
    S3LakeReader,
    WriteRefusedError,
    open_lake_reader,
)

REFUSED = [
    "models/wine_quality/champion.json",
    "models/wine_quality/v1/forest.npz",
    "reports/wine_quality/drift/latest.json",
    "predictions",
    "predictions/",
    "predictions/../models/wine_quality/champion.json",
    "predictions//x.parquet",
    "/predictions/x.parquet",
    "predictionsx/a.parquet",
]


@pytest.mark.unit
@pytest.mark.parametrize("key", REFUSED)
def test_file_lake_refuses_writes_outside_predictions(tmp_path: Path, key: str) -> None:
    champion = tmp_path / "models" / "wine_quality" / "champion.json"
    champion.parent.mkdir(parents=True)
    champion.write_bytes(b"{}")
    lake = open_lake_reader(tmp_path.as_uri())
    assert isinstance(lake, LakeLogWriter)
    with pytest.raises(WriteRefusedError):
        lake.write_log(key, b"overwritten")
    assert champion.read_bytes() == b"{}"
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["champion.json"]


@pytest.mark.unit
def test_file_lake_writes_predictions_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    lake = open_lake_reader(tmp_path.as_uri())
    assert isinstance(lake, LakeLogWriter)
    key = "predictions/wine_quality/2026-11-30/a-b-000001.parquet"
    lake.write_log(key, b"PAR1")
    assert (tmp_path / key).read_bytes() == b"PAR1"
    assert [p.name for p in (tmp_path / key).parent.iterdir()] == ["a-b-000001.parquet"]


@pytest.mark.unit
def test_file_lake_write_failure_is_a_lake_error(tmp_path: Path) -> None:
    (tmp_path / "predictions").write_bytes(b"a file where a folder should be")
    lake = open_lake_reader(tmp_path.as_uri())
    assert isinstance(lake, LakeLogWriter)
    with pytest.raises(LakeError, match="cannot write"):
        lake.write_log("predictions/wine_quality/2026-11-30/x.parquet", b"PAR1")


@pytest.mark.integration
@pytest.mark.s3
def test_s3_lake_writes_only_predictions(s3_lake: Lake) -> None:
    bucket = s3_lake.url.removeprefix("s3://").split("/")[0]
    lake = open_lake_reader(s3_lake.url)
    assert isinstance(lake, S3LakeReader)
    for key in REFUSED:
        with pytest.raises(WriteRefusedError):
            lake.write_log(key, b"x")
    lake.write_log("predictions/wine_quality/2026-11-30/x.parquet", b"PAR1")
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
    assert [o["Key"] for o in listed] == ["prod/predictions/wine_quality/2026-11-30/x.parquet"]
