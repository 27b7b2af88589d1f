"""The same contracts with the lake on a loopback S3 server (moto server mode, real boto3)."""

from __future__ import annotations

import time
from collections.abc import Callable

import boto3
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sklearn.pipeline import Pipeline

from conftest import CATEGORICAL, Lake
from model_api_testkit import NUMERIC, make_version, promote, write_version

pytestmark = [pytest.mark.integration, pytest.mark.s3]


def test_serves_and_reloads_from_s3(
    s3_lake: Lake,
    wine: pd.DataFrame,
    wine_pipeline: Pipeline,
    wine_pipeline_v2: Pipeline,
    client_for: Callable[..., TestClient],
) -> None:
    v1 = s3_lake.publish(wine_pipeline, wine, NUMERIC, CATEGORICAL, seed=11)
    client = client_for(s3_lake.url)
    assert client.get("/ready").json()["model_version"] == v1["version"]
    body = client.post("/predict", json=v1["example"]).json()
    assert body["model_version"] == v1["version"] and "quality_rating" in body
    v2 = s3_lake.publish(wine_pipeline_v2, wine, NUMERIC[:6], [], seed=12)
    deadline = time.monotonic() + 20
    while client.get("/ready").json()["model_version"] != v2["version"]:
        assert time.monotonic() < deadline, "new champion not picked up from S3"
        time.sleep(0.05)
    assert client.post("/predict", json=v2["example"]).json()["model_version"] == v2["version"]


def test_corrupt_artifact_on_s3_is_refused(
    s3_lake: Lake,
    wine: pd.DataFrame,
    wine_pipeline: Pipeline,
    client_for: Callable[..., TestClient],
) -> None:
    bad = write_version(
        s3_lake.put,
        wine_pipeline,
        wine,
        NUMERIC,
        CATEGORICAL,
        version=make_version(13),
        corrupt="forest",
    )
    promote(s3_lake.put, bad)
    client = client_for(s3_lake.url)
    assert client.get("/ready").status_code == 503
    assert 'model_api_model_reloads_total{outcome="failure"} 1.0' in client.get("/metrics").text


def test_unreachable_s3_keeps_the_loaded_model_serving(
    monkeypatch: pytest.MonkeyPatch,
    wine: pd.DataFrame,
    wine_pipeline: Pipeline,
    client_for: Callable[..., TestClient],
) -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="doomed")
    lake = Lake("s3://doomed", lambda key, data: s3.put_object(Bucket="doomed", Key=key, Body=data))
    manifest = lake.publish(wine_pipeline, wine, NUMERIC, CATEGORICAL, seed=14)
    client = client_for(lake.url)
    assert client.get("/ready").status_code == 200
    server.stop()

    def poll_errors() -> float:
        for line in client.get("/metrics").text.splitlines():
            if line.startswith("model_api_lake_poll_errors_total "):
                return float(line.split()[-1])
        return 0.0

    deadline = time.monotonic() + 30
    while poll_errors() < 2:
        assert time.monotonic() < deadline, "polls did not notice S3 going away"
        time.sleep(0.05)
    assert client.get("/ready").json()["model_version"] == manifest["version"]
    response = client.post("/predict", json=manifest["example"])
    assert response.status_code == 200
    assert response.json()["model_version"] == manifest["version"]
