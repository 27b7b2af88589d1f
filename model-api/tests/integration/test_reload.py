"""Hot reload: new champion while clients send requests; corrupt versions are refused."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sklearn.pipeline import Pipeline

from conftest import CATEGORICAL, Lake, serve
from model_api.main import create_app
from model_api.settings import ModelApiSettings
from model_api_testkit import NUMERIC

pytestmark = pytest.mark.integration


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    """Poll until the condition holds (the app polls the lake every 0.1 s here)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_hot_reload_under_load_loses_no_request(
    wine_lake: Lake,
    wine: pd.DataFrame,
    wine_pipeline_v2: Pipeline,
    settings_for: Callable[..., ModelApiSettings],
) -> None:
    app = create_app(settings_for(wine_lake.url))
    with serve(app) as base, httpx.Client(base_url=base, timeout=10) as http:
        v1 = http.get("/model").json()
        row_v1 = v1["example"]
        stop = threading.Event()
        statuses: list[int] = []
        versions: list[str] = []
        failures: list[str] = []

        def send_continuously() -> None:
            with httpx.Client(base_url=base, timeout=10) as own:
                while not stop.is_set():
                    # A row valid for both models' features: the old schema's row with
                    # only the new model's fields once it is serving.
                    current = versions[-1] if versions else v1["version"]
                    payload = (
                        row_v1 if current == v1["version"] else {k: row_v1[k] for k in NUMERIC[:6]}
                    )
                    try:
                        response = own.post("/predict", json=payload)
                    except httpx.HTTPError as error:
                        failures.append(repr(error))
                        continue
                    statuses.append(response.status_code)
                    if response.status_code == 200:
                        versions.append(response.json()["model_version"])
                    elif response.status_code == 422 and len(set(versions)) == 1:
                        # The swap happened between choosing the payload and the request:
                        # the v1 row has fields v2 does not know. Switch rows and go on.
                        versions.append("switch")

        client_thread = threading.Thread(target=send_continuously, daemon=True)
        client_thread.start()
        try:
            wait_for(lambda: len(statuses) >= 20)
            v2 = wine_lake.publish(wine_pipeline_v2, wine, NUMERIC[:6], [], seed=2)
            wait_for(lambda: v2["version"] in versions)
            wait_for(lambda: versions.count(v2["version"]) >= 20)
        finally:
            stop.set()
            client_thread.join(timeout=30)

    assert failures == []
    assert set(statuses) <= {200, 422}
    assert statuses.count(422) <= 1  # at most the one request that raced the swap
    served = [v for v in versions if v != "switch"]
    assert served[0] == v1["version"] and served[-1] == v2["version"]
    # Once the new version answered, the old one never did again: the swap is atomic.
    first_new = served.index(v2["version"])
    assert set(served[first_new:]) == {v2["version"]}


def test_schema_and_openapi_follow_the_new_model(
    wine_lake: Lake,
    wine: pd.DataFrame,
    wine_pipeline_v2: Pipeline,
    client_for: Callable[..., TestClient],
) -> None:
    client = client_for(wine_lake.url)
    assert (
        "wine_type"
        in client.get("/openapi.json").json()["components"]["schemas"]["Features"]["properties"]
    )
    v2 = wine_lake.publish(wine_pipeline_v2, wine, NUMERIC[:6], [], seed=2)
    wait_for(lambda: client.get("/ready").json().get("model_version") == v2["version"])
    features = client.get("/openapi.json").json()["components"]["schemas"]["Features"]
    assert sorted(features["properties"]) == sorted(NUMERIC[:6])
    old_row = dict(v2["example"].items()) | {"wine_type": "red"}
    response = client.post("/predict", json=old_row)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "wine_type"
    assert client.post("/predict", json=v2["example"]).json()["model_version"] == v2["version"]
    assert 'data-feature="wine_type"' not in client.get("/").text


@pytest.mark.parametrize("corrupt", ["forest", "manifest", "champion"])
def test_corrupt_versions_are_refused_and_the_old_model_keeps_serving(
    wine_lake: Lake,
    wine: pd.DataFrame,
    wine_pipeline: Pipeline,
    client_for: Callable[..., TestClient],
    corrupt: str,
) -> None:
    client = client_for(wine_lake.url)
    v1 = client.get("/model").json()["version"]
    if corrupt == "forest":  # artifact bytes differ from the manifest's sha256
        wine_lake.publish(wine_pipeline, wine, NUMERIC, CATEGORICAL, seed=3, corrupt="forest")
    elif corrupt == "manifest":  # manifest bytes differ from champion.json's sha256
        bad = wine_lake.publish(wine_pipeline, wine, NUMERIC, CATEGORICAL, seed=3)
        path = f"models/wine_quality/{bad['version']}/manifest.json"
        wine_lake.put(path, b'{"schema_version": 1}')
    else:  # champion.json itself is not a valid pointer
        wine_lake.put("models/wine_quality/champion.json", b'{"version": "x"}')

    def failures() -> float:
        for line in client.get("/metrics").text.splitlines():
            if line.startswith('model_api_model_reloads_total{outcome="failure"}'):
                return float(line.split()[-1])
        return 0.0

    wait_for(lambda: failures() >= 1)
    time.sleep(0.5)  # several more polls: a refused version is not retried in a loop
    assert failures() == 1
    assert client.get("/ready").json()["model_version"] == v1
    response = client.post("/predict", json=client.get("/model").json()["example"])
    assert response.status_code == 200 and response.json()["model_version"] == v1

    fixed = wine_lake.publish(wine_pipeline, wine, NUMERIC, CATEGORICAL, seed=4)
    wait_for(lambda: client.get("/ready").json()["model_version"] == fixed["version"])


def test_a_model_appearing_after_start_makes_the_service_ready(
    file_lake: Lake,
    wine: pd.DataFrame,
    wine_pipeline: Pipeline,
    client_for: Callable[..., TestClient],
) -> None:
    client = client_for(file_lake.url)
    assert client.get("/ready").status_code == 503
    manifest = file_lake.publish(wine_pipeline, wine, NUMERIC, CATEGORICAL, seed=5)
    wait_for(lambda: client.get("/ready").status_code == 200)
    assert client.post("/predict", json=manifest["example"]).status_code == 200
