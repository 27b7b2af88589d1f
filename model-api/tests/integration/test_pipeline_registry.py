"""Against the REAL registry writer: data-pipeline trains and registers, model-api serves.

data-pipeline is imported here at test time only (model-api's source never imports it).
Each lake (file:// and loopback S3) gets one real training run with a small search space.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from model_api.backends import build_predictor
from model_api.lake import open_lake_reader
from model_api.manifest import Champion, Manifest
from model_api.settings import Backend
from model_api_testkit import NUMERIC

pipeline = pytest.importorskip("pipeline.train", reason="data-pipeline is not installed")

pytestmark = [pytest.mark.integration, pytest.mark.pipeline, pytest.mark.slow]
FAST_SPACE = {"n_estimators": [12, 16], "max_features": [0.5], "min_samples_leaf": [1, 2]}


def train_into(url: str, wine: pd.DataFrame) -> dict[str, Any]:
    """Curated wine Parquet + one real `train_dataset` run; returns the result."""
    from pipeline.datasets import load_dataset_spec
    from pipeline.lake import open_lake
    from pipeline.settings import PipelineSettings, default_datasets_dir
    from pipeline.train import train_dataset

    lake = open_lake(url)
    for kind in ("red", "white"):
        frame = wine[wine["wine_type"] == kind].copy()
        frame["quality"] = frame["quality"].astype("Int64")
        frame["wine_type"] = frame["wine_type"].astype("string")
        lake.write_bytes(
            f"curated/wine_quality/wine_type={kind}/part-{kind}.parquet",
            frame.to_parquet(index=False),
        )
    spec = load_dataset_spec("wine_quality", default_datasets_dir())
    result = train_dataset(
        lake, spec, PipelineSettings(lake_url=url), search_budget=2, search_space=FAST_SPACE
    )
    assert result.promoted, result.reason
    return result.to_dict()


@pytest.fixture(scope="module", params=["file", "s3"])
def trained_lake(
    request: pytest.FixtureRequest, wine: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "file":
        url = (tmp_path_factory.mktemp("pipeline-lake")).as_uri()
    else:
        import boto3

        request.getfixturevalue("s3_endpoint")
        boto3.client("s3").create_bucket(Bucket="pipeline-trained")
        url = "s3://pipeline-trained/lake"
    train_into(url, wine)
    yield url


def test_serves_the_registry_champion(
    trained_lake: str, client_for: Callable[..., TestClient]
) -> None:
    # No prediction logs here: the drift test below counts the rows logged to this lake.
    client = client_for(trained_lake, prediction_log_rate=0.0)
    model = client.get("/model").json()
    assert client.get("/ready").json()["model_version"] == model["version"]
    names = [f["name"] for f in model["features"]]
    assert set(NUMERIC) <= set(names) and "wine_type" in names
    single = client.post("/predict", json=model["example"]).json()
    assert single["model_version"] == model["version"]
    assert single["quality_rating"] in {"Poor", "Average", "Good"}
    batch = client.post("/predict", json={"instances": [model["example"]] * 3}).json()
    assert batch["predictions"] == [single["prediction"]] * 3
    bad = {**model["example"], "wine_type": "rose"}
    (error,) = client.post("/predict", json=bad).json()["detail"]
    assert error["field"] == "wine_type"


def test_fast_path_equals_the_reference_path_on_all_wine_rows(
    trained_lake: str, wine: pd.DataFrame
) -> None:
    lake = open_lake_reader(trained_lake)
    champion = Champion.model_validate_json(lake.read("models/wine_quality/champion.json").data)
    manifest = Manifest.model_validate_json(lake.read(champion.manifest).data)
    prefix = champion.manifest.rsplit("/", 1)[0] + "/"
    names = [f.name for f in manifest.features]
    rows = wine[names].to_dict(orient="records")
    fast = build_predictor(Backend.NUMPY, lake, manifest, prefix).predict_values(rows)
    reference = build_predictor(Backend.SKLEARN, lake, manifest, prefix).predict_values(rows)
    assert len(rows) == 6497
    assert float(np.max(np.abs(fast - reference))) <= 1e-6
    if "onnx" in manifest.artifacts:
        onnx = build_predictor(Backend.ONNX, lake, manifest, prefix).predict_values(rows[:500])
        np.testing.assert_allclose(onnx, fast[:500], rtol=0, atol=1e-4)


def test_prediction_logs_feed_the_pipeline_drift_check(
    trained_lake: str, wine: pd.DataFrame, client_for: Callable[..., TestClient]
) -> None:
    from pipeline.datasets import load_dataset_spec
    from pipeline.drift_predictions import check_drift_for_predictions
    from pipeline.lake import open_lake
    from pipeline.settings import default_datasets_dir

    client = client_for(
        trained_lake,
        prediction_log_rate=1.0,
        prediction_log_flush_seconds=0.1,
        drift_refresh_seconds=0.1,
    )
    names = [f["name"] for f in client.get("/model").json()["features"]]
    rows = wine[names].sample(n=1500, random_state=8).to_dict(orient="records")
    for start in range(0, len(rows), 500):
        response = client.post("/predict", json={"instances": rows[start : start + 500]})
        assert response.status_code == 200
    metrics = client.app.state.metrics.registry  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while metrics.get_sample_value("prediction_log_written_total") != 1500:
        assert time.monotonic() < deadline, "prediction logs not written"
        time.sleep(0.05)
    spec = load_dataset_spec("wine_quality", default_datasets_dir())
    result = check_drift_for_predictions(open_lake(trained_lake), spec)
    assert result is not None and result.batch_rows == 1500
    assert len(result.features) == len(names)
    assert all(f.batch_null_share == 0 for f in result.features)  # every feature read back
    assert not result.drifted, result.summary()  # served rows drawn from the training data
    deadline = time.monotonic() + 30
    while (client.get("/model").json()["drift"] or {}).get("batch_id") != result.batch_id:
        assert time.monotonic() < deadline, "GET /model never showed the drift check"
        time.sleep(0.05)
    assert client.get("/model").json()["drift"]["drifted"] is False


def test_no_pipeline_import_in_model_api_source() -> None:
    source = Path(__file__).resolve().parents[2] / "src" / "model_api"
    offenders = [
        str(p)
        for p in source.rglob("*.py")
        if "import pipeline" in p.read_text() or "from pipeline" in p.read_text()
    ]
    assert offenders == []
