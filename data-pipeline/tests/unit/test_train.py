"""Training: honest protocol, cached search, reproducibility, registry files, promotion."""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from pipeline import registry
from pipeline.datasets import load_dataset_spec
from pipeline.features import NoTrainingDataError, load_training_table
from pipeline.lake import LocalLake
from pipeline.settings import PipelineSettings, default_datasets_dir
from pipeline.train import TrainResult, train_dataset
from wine_lake import train_fast, write_curated_wine

pytestmark = pytest.mark.unit

MANIFEST_FIELDS = {
    "schema_version",
    "dataset",
    "version",
    "created_at",
    "task",
    "target",
    "features",
    "classes",
    "rating_bands",
    "example",
    "preprocessing",
    "artifacts",
    "metrics",
    "params",
    "training_data",
    "library_versions",
    "git_commit",
    "drift_reference",
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalLake, TrainResult]]:
    lake = LocalLake(tmp_path_factory.mktemp("lake"))
    write_curated_wine(lake)
    with warnings.catch_warnings():
        # No scikit-learn feature-name warning (nor any other) anywhere in training.
        warnings.simplefilter("error")
        result = train_fast(lake)
    yield lake, result


def test_first_model_is_registered_and_promoted(trained: tuple[LocalLake, TrainResult]) -> None:
    lake, result = trained
    assert result.promoted and result.reason.startswith("first model: R2 ")
    assert result.version.startswith("v") and result.version.endswith("-" + result.version[-8:])
    champion = registry.get_champion(lake, "wine_quality")
    assert champion is not None and champion["version"] == result.version
    manifest_bytes = lake.read_bytes(result.manifest_key)
    assert champion["manifest"] == result.manifest_key
    assert champion["manifest_sha256"] == hashlib.sha256(manifest_bytes).hexdigest()
    assert champion["previous"] is None


def test_manifest_follows_model_format(trained: tuple[LocalLake, TrainResult]) -> None:
    lake, result = trained
    manifest = json.loads(lake.read_bytes(result.manifest_key))
    assert set(manifest) == MANIFEST_FIELDS
    assert manifest["schema_version"] == 1 and manifest["task"] == "regression"
    names = [f["name"] for f in manifest["features"]]
    assert names[-1] == "wine_type" and "quality" not in names and len(names) == 12
    ph = next(f for f in manifest["features"] if f["name"] == "ph")
    assert (ph["type"], ph["min"], ph["max"]) == ("number", 2.72, 4.01)
    assert manifest["features"][-1]["categories"] == ["red", "white"]
    assert manifest["preprocessing"]["categorical"][0]["categories"] == ["red", "white"]
    assert [n["name"] for n in manifest["preprocessing"]["numeric"]] == names[:-1]
    assert set(manifest["example"]) == set(names)
    assert manifest["rating_bands"][0] == {"label": "Poor", "below": 5.0}
    assert manifest["training_data"]["rows"] == 5320
    assert [f["key"] for f in manifest["training_data"]["files"]] == [
        "curated/wine_quality/wine_type=red/part-red.parquet",
        "curated/wine_quality/wine_type=white/part-white.parquet",
    ]
    prefix = f"models/wine_quality/{result.version}/"
    for entry in manifest["artifacts"].values():
        data = lake.read_bytes(prefix + entry["path"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
    assert lake.exists(prefix + manifest["drift_reference"])


def test_duplicates_removed_before_the_split(trained: tuple[LocalLake, TrainResult]) -> None:
    _, result = trained
    metrics = result.metrics
    assert metrics["duplicates_removed"] == 1177
    assert metrics["protocol"] == "deduplicated holdout"
    assert metrics["holdout"]["rows"] == 1064  # 20 % of the 5,320 unique rows
    assert metrics["with_duplicates"]["rows"] == 1300  # 20 % of all 6,497 rows
    assert metrics["holdout"]["r2"] > metrics["holdout"]["baseline_r2"] + 0.2


def test_report_written_beside_the_model(trained: tuple[LocalLake, TrainResult]) -> None:
    lake, result = trained
    prefix = f"models/wine_quality/{result.version}/report/"
    page = lake.read_bytes(prefix + "index.html").decode()
    assert "deduplicated holdout" in page and "training data sha256" in page
    for image in ["importance.png", "predicted_vs_actual.png", "residuals.png"]:
        assert f'src="{image}"' in page
        assert lake.read_bytes(prefix + image).startswith(b"\x89PNG")


def test_unchanged_data_reuses_params_and_reproduces(
    trained: tuple[LocalLake, TrainResult], caplog: pytest.LogCaptureFixture
) -> None:
    lake, first = trained
    with caplog.at_level(logging.INFO, logger="pipeline.search"):
        second = train_fast(lake)
    assert second.search_skipped and not first.search_skipped
    assert any("search skipped" in r.getMessage() for r in caplog.records)
    assert second.params == first.params
    assert second.metrics["holdout"] == first.metrics["holdout"]
    assert second.version != first.version
    # Equal is not better: the champion stays.
    assert not second.promoted and second.reason.startswith("not promoted")
    table = load_training_table(lake, load_dataset_spec("wine_quality", default_datasets_dir()))
    rows = table.frame[table.features]
    old = registry.load_reference_model(lake, "wine_quality", first.version)
    new = registry.load_reference_model(lake, "wine_quality", second.version)
    assert np.array_equal(old.predict(rows), new.predict(rows))
    runs = registry.read_runs(lake, "wine_quality")
    assert [r["version"] for r in runs[-2:]] == [first.version, second.version]
    assert runs[-1]["search_skipped"] is True


def test_no_curated_data_is_a_plain_error(tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    spec = load_dataset_spec("wine_quality", default_datasets_dir())
    with pytest.raises(NoTrainingDataError, match="no curated data for dataset 'wine_quality'"):
        train_dataset(lake, spec, PipelineSettings(lake_url=lake.url))


def test_classification_dataset_trains_with_class_metrics(tmp_path: Path) -> None:
    from pipeline.manifest import design_matrix
    from pipeline.model_export import load_forest_npz, predict_forest
    from wine_lake import FAST_SPACE, wine_frame, write_curated

    wine = load_dataset_spec("wine_quality", default_datasets_dir())
    spec = wine.model_copy(
        update={
            "name": "wine_colour",
            "target": "wine_type",
            "task": "classification",
            "rating_bands": [],
        }
    )
    lake = LocalLake(tmp_path)
    write_curated(lake, wine_frame(), "part-all", dataset="wine_colour")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = train_dataset(
            lake,
            spec,
            PipelineSettings(lake_url=lake.url),
            search_budget=1,
            search_space=FAST_SPACE,
        )
    holdout = result.metrics["holdout"]
    assert result.reason.startswith("first model: macro F1 ")
    assert holdout["accuracy"] > holdout["baseline_accuracy"] + 0.2
    assert holdout["f1_macro"] > holdout["baseline_f1_macro"]
    manifest = json.loads(lake.read_bytes(result.manifest_key))
    assert manifest["classes"] == ["red", "white"] and manifest["rating_bands"] == []
    table = load_training_table(lake, spec)
    rows = table.frame[table.features].head(500)
    model = registry.load_reference_model(lake, "wine_colour", result.version)
    forest = load_forest_npz(
        registry.verified_artifact(lake, "wine_colour", result.version, "forest")
    )
    proba = predict_forest(forest, design_matrix(manifest, rows))
    assert np.max(np.abs(proba - model.predict_proba(rows))) <= 1e-9
