"""The task bodies the DAGs wire: raw-file discovery, outcomes, Asset updates, dataset choice."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pipeline.lake import LocalLake, S3Lake
from pipeline.orchestration import (
    choose_training_datasets,
    curated_asset_uri,
    curated_updates,
    dataset_of_asset_uri,
    declared_dataset_names,
    describe_outcome,
    find_settled_raw_keys,
)

pytestmark = pytest.mark.unit


def test_asset_uri_round_trip() -> None:
    assert curated_asset_uri("wine_quality") == "lake://curated/wine_quality"
    assert dataset_of_asset_uri("lake://curated/wine_quality") == "wine_quality"
    assert dataset_of_asset_uri("lake://raw") is None
    assert dataset_of_asset_uri("s3://bucket/curated/wine_quality") is None


def test_declared_dataset_names(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("x")
    (tmp_path / "a.yaml").write_text("x")
    (tmp_path / "notes.txt").write_text("x")
    assert declared_dataset_names(tmp_path) == ["a", "b"]
    assert declared_dataset_names(tmp_path / "missing") == []


def test_local_files_still_changing_wait_for_the_next_run(file_lake: LocalLake) -> None:
    file_lake.write_bytes("raw/d/old.csv", b"a\n1\n")
    file_lake.write_bytes("raw/d/fresh.csv", b"a\n1\n")
    file_lake.write_bytes("raw/d/.part", b"a\n")
    file_lake.write_bytes("raw/other/x.csv", b"a\n1\n")
    old = time.time() - 60
    path = file_lake.local_path("raw/d/old.csv")
    assert path is not None
    os.utime(path, (old, old))
    assert find_settled_raw_keys(file_lake, ["d"]) == ["raw/d/old.csv"]
    a_minute_later = datetime.now(tz=UTC) + timedelta(minutes=1)
    assert find_settled_raw_keys(file_lake, ["d", "other"], now=a_minute_later) == [
        "raw/d/fresh.csv",
        "raw/d/old.csv",
        "raw/other/x.csv",
    ]


def test_only_curated_outcomes_update_assets() -> None:
    outcomes = [
        {
            "status": "curated",
            "dataset": "w",
            "raw_key": "raw/w/a.csv",
            "curated_key": "c/a",
            "rows_written": 5,
        },
        {
            "status": "curated",
            "dataset": "w",
            "raw_key": "raw/w/b.csv",
            "curated_key": "c/b",
            "rows_written": 7,
        },
        {"status": "quarantined", "dataset": "v", "raw_key": "raw/v/c.csv"},
        {"status": "already_processed", "dataset": "u", "raw_key": "raw/u/d.csv"},
        {"status": "gone", "dataset": "t", "raw_key": "raw/t/e.csv"},
        None,
    ]
    assert curated_updates(outcomes) == {
        "w": {"files": ["raw/w/a.csv", "raw/w/b.csv"], "curated_keys": ["c/a", "c/b"], "rows": 12}
    }


def test_describe_outcome_says_format_rows_and_reason() -> None:
    curated = describe_outcome(
        {
            "raw_key": "raw/w/a.csv",
            "sha256": "f" * 64,
            "status": "curated",
            "format": {"encoding": "utf-8", "delimiter": ";"},
            "rows_read": 10,
            "rows_written": 8,
            "duplicate_rows": 2,
            "duplicates_dropped": 2,
            "coerced_cells": {"ph": 1},
            "destination_key": "archive/w/a.csv",
            "curated_key": "curated/w/p.parquet",
        }
    )
    text = "\n".join(curated)
    assert "delimiter=';'" in text
    assert "10 rows read, 8 rows kept, 2 dropped" in text
    assert "exact duplicate rows: 2 (dropped)" in text
    assert "column ph: 1 unreadable cells set to null" in text
    bad = "\n".join(
        describe_outcome(
            {
                "raw_key": "raw/w/b.csv",
                "status": "quarantined",
                "reason": "no header",
                "details": ["line 1"],
                "destination_key": "quarantine/w/b.csv",
            }
        )
    )
    assert "quarantined -> quarantine/w/b.csv: no header" in bad and "line 1" in bad


def test_choose_training_datasets() -> None:
    declared = ["a", "b", "c"]
    assert choose_training_datasets("b", [], declared) == ["b"]
    assert choose_training_datasets(None, ["lake://curated/c", "lake://curated/a"], declared) == [
        "a",
        "c",
    ]
    assert choose_training_datasets(None, [], declared) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="no dataset 'zzz'"):
        choose_training_datasets("zzz", [], declared)


@pytest.mark.s3
def test_planted_traversal_keys_are_never_listed_for_ingest(s3_lake: S3Lake) -> None:
    """A key with `..` written straight to the bucket is skipped, not mapped to a task."""
    s3_lake.write_bytes("raw/d/good.csv", b"a\n1\n")
    s3_lake.client.put_object(
        Bucket=s3_lake.bucket, Key=f"{s3_lake.prefix}/raw/d/../../models/x.csv", Body=b"a\n"
    )
    assert len(list(s3_lake.list("raw/d/"))) == 2
    assert find_settled_raw_keys(s3_lake, ["d"]) == ["raw/d/good.csv"]


def test_drift_found_at_ingest_travels_on_the_asset_event() -> None:
    drift = {"drifted": True, "drifted_features": ["alcohol"], "report": "reports/w/drift/x"}
    outcomes = [
        {"status": "curated", "dataset": "w", "raw_key": "raw/w/a.csv", "curated_key": "c/a",
         "rows_written": 5, "drift": drift},
        {"status": "curated", "dataset": "w", "raw_key": "raw/w/b.csv", "curated_key": "c/b",
         "rows_written": 7, "drift": {"drifted": False, "drifted_features": []}},
    ]  # fmt: skip
    update = curated_updates(outcomes)["w"]
    assert update["drifted_features"] == ["alcohol"]
    assert update["drift_reports"] == ["reports/w/drift/x"]
    assert update["rows"] == 12


@pytest.mark.slow
def test_ingest_task_checks_drift_against_the_champion(file_lake: LocalLake) -> None:
    """With a champion in the lake, every curated batch is compared with its training data."""
    from pipeline.orchestration import ingest_one
    from pipeline.settings import PipelineSettings
    from testdata import RED_WINE
    from wine_lake import train_fast, write_curated_wine

    write_curated_wine(file_lake)
    train_fast(file_lake)
    settings = PipelineSettings(LAKE_URL=file_lake.url)
    data = RED_WINE.read_text().replace("\n9.4;", "\n13.4;")  # shift some alcohol values
    file_lake.write_bytes("raw/wine_quality/wine_type=red/shifted.csv", data.encode())
    outcome = ingest_one("raw/wine_quality/wine_type=red/shifted.csv", settings)
    assert outcome["status"] == "curated", outcome.get("reason")
    assert outcome["drift"] is not None
    assert "drifted" in outcome["drift"] and outcome["drift"]["report"]
    assert file_lake.exists(outcome["drift"]["report"])
