"""Ingestion end to end on a lake: curated, archived, quarantined, idempotent."""

from __future__ import annotations

import gzip
import io
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipeline import layout
from pipeline.datasets import load_dataset_spec
from pipeline.ingest import find_new_raw_keys, ingest_raw_object, unique_destination
from pipeline.lake import Lake
from pipeline.settings import PipelineSettings
from testdata import RED_WINE, WHITE_WINE

pytestmark = [pytest.mark.unit]

DAY = date(2026, 11, 30)
HEADER = RED_WINE.read_text().splitlines()[0] + "\n"
ROW = "7.4;0.7;0;1.9;0.076;11;34;0.9978;3.51;0.56;9.4;5\n"


@pytest.fixture
def settings(file_lake: Lake) -> PipelineSettings:
    return PipelineSettings(LAKE_URL=file_lake.url, chunk_rows=1000)


def put(lake: Lake, name: str, data: bytes, partition: str = "wine_type=red") -> str:
    key = f"raw/wine_quality/{partition}/{name}" if partition else f"raw/wine_quality/{name}"
    lake.write_bytes(key, data)
    return key


def read_curated(lake: Lake, key: str) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(lake.read_bytes(key)))


@pytest.mark.parametrize("source", [RED_WINE, WHITE_WINE], ids=["red", "white"])
def test_wine_file_is_curated_with_exact_counts(
    file_lake: Lake, settings: PipelineSettings, source: Path
) -> None:
    expected_rows, expected_dups = {"winequality-red.csv": (1599, 240)}.get(
        source.name, (4898, 937)
    )
    key = put(file_lake, source.name, source.read_bytes())
    outcome = ingest_raw_object(file_lake, key, settings, today=DAY)
    assert outcome.status == "curated", outcome.reason
    assert (outcome.rows_read, outcome.rows_written) == (expected_rows, expected_rows)
    assert outcome.duplicate_rows == expected_dups
    assert outcome.format is not None and outcome.format["delimiter"] == ";"
    frame = read_curated(file_lake, outcome.curated_key or "")
    assert len(frame) == expected_rows
    assert frame["ph"].dtype == "float64" and frame["alcohol"].dtype == "float64"
    assert str(frame["quality"].dtype) == "int64"
    assert set(frame["wine_type"]) == {"red"}
    # the raw file left raw/ and sits byte-identical in archive/
    assert not file_lake.exists(key)
    assert file_lake.read_bytes(outcome.destination_key) == source.read_bytes()
    assert outcome.destination_key == f"archive/wine_quality/2026-11-30/wine_type=red/{source.name}"


def test_same_bytes_twice_is_a_no_op(file_lake: Lake, settings: PipelineSettings) -> None:
    data = RED_WINE.read_bytes()
    first = ingest_raw_object(file_lake, put(file_lake, "a.csv", data), settings, today=DAY)
    curated_before = file_lake.read_bytes(first.curated_key or "")
    second = ingest_raw_object(file_lake, put(file_lake, "b.csv", data), settings, today=DAY)
    assert second.status == "already_processed"
    assert second.curated_key == first.curated_key
    assert file_lake.read_bytes(first.curated_key or "") == curated_before
    assert len(list(file_lake.list("curated/"))) == 1
    assert file_lake.read_bytes(second.destination_key) == data


def test_decimal_comma_file_gives_numbers(file_lake: Lake, settings: PipelineSettings) -> None:
    rows = [
        ROW.replace("0.9978", f"0.99{70 + i}").replace("3.51", f"3.{40 + i}") for i in range(20)
    ]
    # European Excel: `;` between fields and a comma in every fractional number
    text = HEADER + "".join(row.replace(".", ",") for row in rows)
    key = put(file_lake, "comma.csv", text.encode("cp1252"))
    outcome = ingest_raw_object(file_lake, key, settings, today=DAY)
    assert outcome.status == "curated", outcome.reason
    frame = read_curated(file_lake, outcome.curated_key or "")
    assert frame["density"].dtype == "float64"
    assert frame["density"].iloc[0] == pytest.approx(0.997)
    assert frame["ph"].iloc[1] == pytest.approx(3.41)


def quarantine_reason(lake: Lake, outcome_key: str) -> dict[str, object]:
    return json.loads(lake.read_bytes(layout.error_key(outcome_key)))


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("empty.csv", b"", "empty"),
        ("zipped.csv", gzip.compress((HEADER + ROW * 50).encode()), "gzip"),
        ("header_only.csv", HEADER.encode(), "no data rows"),
        (
            "no_target.csv",
            (HEADER.replace(';"quality"', "") + ROW[:-3] + "\n").encode() * 1,
            "quality",
        ),
        ("ph40.csv", (HEADER + ROW * 20 + ROW.replace("3.51", "40")).encode(), "ph"),
    ],
)
def test_bad_files_are_quarantined_with_a_reason(
    file_lake: Lake, settings: PipelineSettings, name: str, data: bytes, words: str
) -> None:
    key = put(file_lake, name, data)
    outcome = ingest_raw_object(file_lake, key, settings, today=DAY)
    assert outcome.status == "quarantined"
    assert outcome.destination_key.startswith("quarantine/wine_quality/2026-11-30/")
    assert file_lake.read_bytes(outcome.destination_key) == data
    assert not file_lake.exists(key)
    error = quarantine_reason(file_lake, outcome.destination_key)
    text = (str(error["reason"]) + " ".join(map(str, error["details"]))).lower()  # type: ignore[call-overload]
    assert words in text


def test_missing_hive_column_is_named(file_lake: Lake, settings: PipelineSettings) -> None:
    key = put(file_lake, "nopartition.csv", (HEADER + ROW * 20).encode(), partition="")
    outcome = ingest_raw_object(file_lake, key, settings, today=DAY)
    assert outcome.status == "quarantined"
    assert "wine_type" in (outcome.reason or "")


def test_one_bad_file_does_not_stop_the_others(file_lake: Lake, settings: PipelineSettings) -> None:
    put(file_lake, "bad.csv", b"\x00\x01\x02garbage" * 100)
    put(file_lake, "good.csv", RED_WINE.read_bytes())
    keys = find_new_raw_keys(file_lake, ["wine_quality"])
    outcomes = [ingest_raw_object(file_lake, key, settings, today=DAY) for key in keys]
    assert sorted(o.status for o in outcomes) == ["curated", "quarantined"]
    assert find_new_raw_keys(file_lake, ["wine_quality"]) == []


def test_same_name_different_bytes_never_overwrite(file_lake: Lake) -> None:
    file_lake.write_bytes("archive/ds/2026-11-30/a.csv", b"old")
    key = unique_destination(file_lake, "archive/ds/2026-11-30/a.csv", "f" * 64)
    assert key == "archive/ds/2026-11-30/a.ffffffffffff.csv"


@pytest.mark.s3
def test_ingest_on_s3_lake(s3_lake: Lake) -> None:
    settings = PipelineSettings(LAKE_URL=s3_lake.url, chunk_rows=1000)
    key = put(s3_lake, "winequality-red.csv", RED_WINE.read_bytes())
    outcome = ingest_raw_object(s3_lake, key, settings, today=DAY)
    assert outcome.status == "curated", outcome.reason
    assert outcome.rows_written == 1599 and outcome.duplicate_rows == 240
    assert s3_lake.read_bytes(outcome.destination_key) == RED_WINE.read_bytes()
    assert len(read_curated(s3_lake, outcome.curated_key or "")) == 1599


@pytest.mark.parametrize(
    "bad_row",
    [
        pytest.param(2500, id="later-block-vectorised-suite"),
        # great-expectations checks the first block on its own thread while later
        # blocks are written: its verdict still decides for the whole file.
        pytest.param(10, id="first-block-great-expectations"),
    ],
)
def test_bad_value_in_any_block_is_caught(file_lake: Lake, bad_row: int) -> None:
    """Every block is validated, whichever evaluator checks it; nothing slips through."""
    settings = PipelineSettings(LAKE_URL=file_lake.url, chunk_rows=1000, validation_rows=1000)
    rows = [ROW] * 5000
    rows[bad_row] = ROW.replace("3.51", "40")
    key = put(file_lake, "late.csv", (HEADER + "".join(rows)).encode())
    outcome = ingest_raw_object(file_lake, key, settings, today=DAY)
    assert outcome.status == "quarantined"
    assert any("ph" in detail and "40" in detail for detail in outcome.details), outcome.details
    assert not list(file_lake.list("curated/"))
    assert outcome.validation_report_key is not None
    assert file_lake.exists(outcome.validation_report_key)


def test_a_big_clean_file_is_written_whole_and_in_order(file_lake: Lake) -> None:
    """Many blocks through the writer thread: every row once, in the file's order."""
    settings = PipelineSettings(LAKE_URL=file_lake.url, chunk_rows=1000, validation_rows=1000)
    rows = [ROW.replace("9.4", f"{9 + (i % 1000) / 1000:.3f}") for i in range(7500)]
    key = put(file_lake, "big.csv", (HEADER + "".join(rows)).encode())
    outcome = ingest_raw_object(file_lake, key, settings, today=DAY)
    assert outcome.status == "curated", outcome.reason
    frame = read_curated(file_lake, outcome.curated_key or "")
    assert len(frame) == outcome.rows_written == 7500
    expected = [round(9 + (i % 1000) / 1000, 3) for i in range(7500)]
    assert frame["alcohol"].round(3).tolist() == expected
    assert outcome.duplicate_rows == 6500


def test_same_bytes_in_another_partition_is_another_batch(
    file_lake: Lake, settings: PipelineSettings
) -> None:
    """Dropped first without its wine_type folder (quarantined), then again inside it."""
    data = RED_WINE.read_bytes()
    first = ingest_raw_object(file_lake, put(file_lake, "red.csv", data, partition=""), settings)
    assert first.status == "quarantined" and "wine_type" in (first.reason or "")
    second = ingest_raw_object(file_lake, put(file_lake, "red.csv", data), settings, today=DAY)
    assert second.status == "curated", second.reason
    assert second.rows_written == 1599
    white_key = put(file_lake, "red.csv", data, partition="wine_type=white")
    third = ingest_raw_object(file_lake, white_key, settings, today=DAY)
    assert third.status == "curated" and third.curated_key != second.curated_key


@pytest.mark.parametrize(
    ("source", "rows", "duplicates"),
    [(RED_WINE, 1599, 240), (WHITE_WINE, 4898, 937)],
    ids=["red", "white"],
)
def test_declared_drop_policy_removes_exact_duplicates_across_chunks(
    file_lake: Lake, settings: PipelineSettings, source: Path, rows: int, duplicates: int
) -> None:
    """With `duplicates: drop`, repeats are removed even when the copies sit in different
    1,000-row chunks, and the number removed is reported."""
    spec = load_dataset_spec("wine_quality", settings.datasets_dir)
    dropping = spec.model_copy(update={"duplicates": "drop"})
    key = put(file_lake, source.name, source.read_bytes())
    outcome = ingest_raw_object(file_lake, key, settings, spec=dropping, today=DAY)
    assert outcome.status == "curated", outcome.reason
    assert outcome.rows_read == rows
    assert outcome.duplicate_rows == outcome.duplicates_dropped == duplicates
    frame = read_curated(file_lake, outcome.curated_key or "")
    assert len(frame) == outcome.rows_written == rows - duplicates
    assert not frame.duplicated().any()
