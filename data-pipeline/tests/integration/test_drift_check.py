"""The drift check on a real lake (folder and loopback S3): champion -> reference -> report."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from pipeline import layout
from pipeline.clean import clean_column_name
from pipeline.datasets import DatasetSpec, load_dataset_spec
from pipeline.drift import ReferenceStatsError
from pipeline.drift_check import (
    batch_id_for,
    check_drift_for_batch,
    drift_outcome,
    load_champion_reference,
    write_reference_stats,
)
from pipeline.lake import Lake
from pipeline.settings import default_datasets_dir
from testdata import WHITE_WINE

pytestmark = [pytest.mark.s3]

VERSION = "v20261130T200101Z-1a2b3c4d"


@pytest.fixture(scope="module")
def spec() -> DatasetSpec:
    return load_dataset_spec("wine_quality", default_datasets_dir())


@pytest.fixture(scope="module")
def white_halves() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The white wine file split in two random halves, raw column names kept."""
    raw = pd.read_csv(WHITE_WINE, sep=";")
    order = np.random.default_rng(8).permutation(len(raw))
    return raw.iloc[order[: len(raw) // 2]], raw.iloc[order[len(raw) // 2 :]]


def register_champion(lake: Lake, spec: DatasetSpec, training: pd.DataFrame) -> None:
    """What the registry leaves behind: reference stats, manifest naming them, champion.json."""
    frame = training.rename(columns=lambda c: clean_column_name(str(c))).assign(wine_type="white")
    write_reference_stats(lake, spec, VERSION, frame)
    manifest_key = layout.model_version_prefix(spec.name, VERSION) + "manifest.json"
    manifest = {"schema_version": 1, "version": VERSION, "drift_reference": "reference_stats.json"}
    lake.write_bytes(manifest_key, json.dumps(manifest).encode())
    pointer = {"dataset": spec.name, "version": VERSION, "manifest": manifest_key}
    lake.write_bytes(layout.champion_key(spec.name), json.dumps(pointer).encode())


def curate(lake: Lake, name: str, frame: pd.DataFrame) -> str:
    """Store `frame` as curated Parquet the way ingestion writes it; return its key."""
    curated = frame.rename(columns=lambda c: clean_column_name(str(c))).assign(
        wine_type=pd.Series(["white"] * len(frame), dtype="string", index=frame.index)
    )
    key = layout.curated_key("wine_quality", hashlib.sha256(name.encode()).hexdigest())
    lake.write_bytes(key, curated.to_parquet(index=False))
    return key


def test_drift_check_follows_the_champion_and_writes_the_report(
    any_lake: Lake, spec: DatasetSpec, white_halves: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    training, fresh = white_halves
    same_key = curate(any_lake, "same.csv", fresh)
    assert check_drift_for_batch(any_lake, spec, same_key) is None  # no champion yet

    register_champion(any_lake, spec, training)
    same = check_drift_for_batch(any_lake, spec, same_key, write_report=False)
    assert same is not None and same.reference_version == VERSION
    assert same.drifted_features == [] and same.report_key is None
    assert not any_lake.exists("reports/wine_quality/drift/latest.json")

    shifted_key = curate(any_lake, "shifted.csv", fresh.assign(alcohol=fresh["alcohol"] + 3))
    result = check_drift_for_batch(any_lake, spec, shifted_key)
    assert result is not None
    assert result.drifted_features == ["alcohol"]
    batch_id = batch_id_for(shifted_key)
    assert result.report_key == f"reports/wine_quality/drift/{batch_id}/report.html"
    page = any_lake.read_bytes(result.report_key).decode()
    assert "Drift in 1 of 12 features: alcohol" in page
    assert page.count("data:image/png;base64,") == 12
    stored = json.loads(any_lake.read_bytes(f"reports/wine_quality/drift/{batch_id}/drift.json"))
    assert stored["drifted_features"] == ["alcohol"]
    assert stored["reference_version"] == VERSION
    latest = json.loads(any_lake.read_bytes("reports/wine_quality/drift/latest.json"))
    assert latest["batch_id"] == batch_id and latest["drifted"] is True


def test_champion_without_reference_skips_and_broken_pointer_says_why(
    file_lake: Lake, spec: DatasetSpec
) -> None:
    manifest_key = layout.model_version_prefix(spec.name, VERSION) + "manifest.json"
    file_lake.write_bytes(manifest_key, json.dumps({"version": VERSION}).encode())
    pointer = {"version": VERSION, "manifest": manifest_key}
    file_lake.write_bytes(layout.champion_key(spec.name), json.dumps(pointer).encode())
    assert load_champion_reference(file_lake, spec.name) is None

    file_lake.write_bytes(layout.champion_key(spec.name), b'{"version": "v1"}')
    with pytest.raises(ReferenceStatsError, match=r"champion\.json"):
        load_champion_reference(file_lake, spec.name)


def test_drift_outcome_summarises_and_a_broken_reference_never_fails_ingestion(
    file_lake: Lake, spec: DatasetSpec, white_halves: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    training, fresh = white_halves
    key = curate(file_lake, "batch.csv", fresh.assign(alcohol=fresh["alcohol"] + 3))
    assert drift_outcome(file_lake, spec, key) is None  # no champion yet
    register_champion(file_lake, spec, training)
    outcome = drift_outcome(file_lake, spec, key)
    assert outcome is not None
    assert outcome["drifted"] is True and outcome["drifted_features"] == ["alcohol"]
    assert outcome["report"] == f"reports/wine_quality/drift/{batch_id_for(key)}/report.html"
    assert json.loads(json.dumps(outcome)) == outcome

    reference_key = layout.model_version_prefix(spec.name, VERSION) + "reference_stats.json"
    file_lake.write_bytes(reference_key, b'{"schema_version": 7}')
    broken = drift_outcome(file_lake, spec, key)
    assert broken is not None and "schema_version 7" in broken["error"]
