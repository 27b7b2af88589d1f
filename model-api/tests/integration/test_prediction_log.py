"""Prediction logs: sampled rows reach the lake as Parquet, off the request path.

Count in = count written at a 100% rate; roughly the rate when sampling; a lake that is
down or a full queue costs log rows (counted), never a request or unbounded memory; the
last rows are written at shutdown.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer
from sklearn.pipeline import Pipeline

from conftest import CATEGORICAL, Lake, serve
from model_api.main import create_app
from model_api.prediction_log import META_COLUMNS, PredictionLog
from model_api.settings import ModelApiSettings
from model_api_testkit import NUMERIC

pytestmark = pytest.mark.integration


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    """Poll until the condition holds (the writer flushes every 0.1 s here)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def lake_root(lake: Lake) -> Path:
    return Path(lake.url.removeprefix("file://"))


def logged(root: Path) -> pd.DataFrame:
    """Every prediction-log row under the lake's predictions/ prefix."""
    files = sorted((root / "predictions" / "wine_quality").glob("*/*.parquet"))
    if not files:
        return pd.DataFrame()
    return pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)


def counter(app: FastAPI, name: str) -> float:
    value = app.state.metrics.registry.get_sample_value(name)
    return float(value or 0.0)


@contextlib.contextmanager
def running(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def log_settings(url: str, **overrides: Any) -> ModelApiSettings:
    values: dict[str, Any] = {
        "lake_url": url,
        "poll_interval_seconds": 0.1,
        "prediction_log_rate": 1.0,
        "prediction_log_flush_seconds": 0.1,
        "prediction_log_flush_rows": 50,
    }
    values.update(overrides)
    return ModelApiSettings(**values)


def test_every_row_is_written_at_rate_one(wine_lake: Lake) -> None:
    app = create_app(log_settings(wine_lake.url))
    answers: dict[str, float] = {}
    with running(app) as client:
        row = client.get("/model").json()["example"]
        for i in range(100):
            response = client.post("/predict", json={**row, "alcohol": 8.0 + i * 0.05})
            assert response.status_code == 200
            answers[response.headers["x-request-id"]] = response.json()["prediction"]
        batch = client.post("/predict", json={"instances": [row] * 20})
        assert batch.status_code == 200
        wait_for(lambda: counter(app, "prediction_log_written_total") == 120)
        assert "prediction_log_written_total 120.0" in client.get("/metrics").text
    frame = logged(lake_root(wine_lake))
    assert len(frame) == 120
    assert counter(app, "prediction_log_dropped_total") == 0
    singles = frame[frame["request_id"] != batch.headers["x-request-id"]]
    assert dict(zip(singles["request_id"], singles["prediction"], strict=True)) == answers
    assert (frame["request_id"] == batch.headers["x-request-id"]).sum() == 20
    schema = pq.read_schema(next((lake_root(wine_lake) / "predictions").rglob("*.parquet")))
    assert schema.field("timestamp").type == pa.timestamp("us", tz="UTC")
    assert schema.field("alcohol").type == pa.float64()
    assert schema.field("wine_type").type == pa.string()
    assert schema.field("prediction").type == pa.float64()
    assert set(frame["quality_rating"]) <= {"Poor", "Average", "Good"}
    assert set(frame.columns) == {
        "timestamp",
        "request_id",
        "model_version",
        *NUMERIC,
        *CATEGORICAL,
        "prediction",
        "quality_rating",
    }
    assert frame["model_version"].nunique() == 1


def test_sampling_follows_the_rate_and_zero_disables(wine_lake: Lake) -> None:
    app = create_app(log_settings(wine_lake.url, prediction_log_rate=0.1, prediction_log_seed=7))
    with running(app) as client:
        row = client.get("/model").json()["example"]
        for _ in range(500):
            assert client.post("/predict", json=row).status_code == 200
    written = len(logged(lake_root(wine_lake)))
    assert 25 <= written <= 75  # 500 x 0.1 = 50 expected; seeded, so always the same count
    assert counter(app, "prediction_log_written_total") == written

    off = create_app(log_settings(wine_lake.url, prediction_log_rate=0.0))
    with running(off) as client:
        for _ in range(50):
            assert client.post("/predict", json=row).status_code == 200
    assert len(logged(lake_root(wine_lake))) == written
    assert counter(off, "prediction_log_written_total") == 0


def test_full_queue_drops_and_counts_and_never_grows(wine_lake: Lake) -> None:
    # The writer never wakes on its own here: the queue fills to its cap, then drops.
    app = create_app(
        log_settings(
            wine_lake.url,
            prediction_log_queue_rows=20,
            prediction_log_flush_seconds=3600,
            prediction_log_flush_rows=10_000,
        )
    )
    log: PredictionLog = app.state.prediction_log
    with running(app) as client:
        row = client.get("/model").json()["example"]
        for _ in range(50):
            assert client.post("/predict", json=row).status_code == 200
            assert len(log) <= 20
        assert log.max_depth == 20
        assert "prediction_log_dropped_total 30.0" in client.get("/metrics").text
    assert len(logged(lake_root(wine_lake))) == 20  # the queued rows, flushed at shutdown


def test_unwritable_lake_drops_and_counts_while_requests_succeed(wine_lake: Lake) -> None:
    # A file where the predictions/ folder must go: every write fails, even for root.
    (lake_root(wine_lake) / "predictions").write_bytes(b"not a folder")
    app = create_app(log_settings(wine_lake.url, prediction_log_queue_rows=30))
    log: PredictionLog = app.state.prediction_log
    with running(app) as client:
        row = client.get("/model").json()["example"]
        for _ in range(100):
            assert client.post("/predict", json=row).status_code == 200
            assert len(log) <= 30
        wait_for(lambda: counter(app, "prediction_log_dropped_total") > 0)
        assert "prediction_log_dropped_total" in client.get("/metrics").text
        assert client.get("/ready").status_code == 200
    assert counter(app, "prediction_log_dropped_total") == 100
    assert counter(app, "prediction_log_written_total") == 0


def test_shutdown_flushes_queued_rows_over_real_sockets(wine_lake: Lake) -> None:
    app = create_app(
        log_settings(
            wine_lake.url, prediction_log_flush_seconds=3600, prediction_log_flush_rows=10_000
        )
    )
    with serve(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        row = http.get("/model").json()["example"]
        for _ in range(30):
            assert http.post("/predict", json=row).status_code == 200
        assert logged(lake_root(wine_lake)).empty  # nothing written before the shutdown
    assert len(logged(lake_root(wine_lake))) == 30


@pytest.mark.s3
def test_s3_lake_written_then_down(
    s3_endpoint: str,
    wine: pd.DataFrame,
    wine_pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A server of its own: stopping the shared one would break the other S3 tests.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="logs")
    lake = Lake(
        "s3://logs/prod", lambda k, d: s3.put_object(Bucket="logs", Key=f"prod/{k}", Body=d)
    )
    lake.publish(wine_pipeline, wine, NUMERIC, CATEGORICAL, seed=21)
    app = create_app(
        log_settings(lake.url, prediction_log_flush_rows=5, prediction_log_queue_rows=40)
    )
    log: PredictionLog = app.state.prediction_log
    try:
        with running(app) as client:
            row = client.get("/model").json()["example"]
            for _ in range(10):
                assert client.post("/predict", json=row).status_code == 200
            wait_for(lambda: counter(app, "prediction_log_written_total") == 10)
            listed = s3.list_objects_v2(Bucket="logs", Prefix="prod/predictions/wine_quality/")
            keys = [o["Key"] for o in listed.get("Contents", [])]
            assert keys and all(k.endswith(".parquet") for k in keys)
            server.stop()  # the lake goes away
            for _ in range(30):
                assert client.post("/predict", json=row).status_code == 200
                assert len(log) <= 40
            wait_for(lambda: counter(app, "prediction_log_dropped_total") == 30)
            assert client.get("/ready").status_code == 200
    finally:
        with contextlib.suppress(Exception):
            server.stop()
    assert counter(app, "prediction_log_written_total") == 10
    assert counter(app, "prediction_log_dropped_total") == 30


def test_classifier_and_a_new_champion_get_their_own_files(
    file_lake: Lake, wine: pd.DataFrame, wine_pipeline_v2: Pipeline
) -> None:
    from model_api_testkit import fit_pipeline

    sample = wine.sample(n=1500, random_state=4)
    classifier = fit_pipeline(
        sample, NUMERIC, CATEGORICAL, "quality", n_estimators=6, seed=3, classify=True
    )
    v1 = file_lake.publish(classifier, sample, NUMERIC, CATEGORICAL, seed=31, bands=None)
    app = create_app(log_settings(file_lake.url))
    with running(app) as client:
        for _ in range(5):
            assert client.post("/predict", json=v1["example"]).status_code == 200
        wait_for(lambda: counter(app, "prediction_log_written_total") == 5)
        v2 = file_lake.publish(wine_pipeline_v2, wine, NUMERIC[:6], [], seed=32)
        wait_for(lambda: client.get("/ready").json()["model_version"] == v2["version"])
        for _ in range(3):
            assert client.post("/predict", json=v2["example"]).status_code == 200
    files = sorted((lake_root(file_lake) / "predictions" / "wine_quality").glob("*/*.parquet"))
    by_version = {}
    for path in files:
        table = pq.read_table(path)
        (version,) = set(table.column("model_version").to_pylist())
        by_version[version] = table
    assert {v: t.num_rows for v, t in by_version.items()} == {v1["version"]: 5, v2["version"]: 3}
    first, second = by_version[v1["version"]], by_version[v2["version"]]
    assert first.schema.field("prediction").type == pa.int64()  # the classes are integers
    assert "quality_rating" not in first.schema.names and "wine_type" in first.schema.names
    assert set(second.schema.names) == {
        *META_COLUMNS,
        *NUMERIC[:6],
        "prediction",
        "quality_rating",
    }
