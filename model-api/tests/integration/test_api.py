"""Every HTTP contract against a real trained model in a file:// lake (CONTRACTS.md)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import Lake

pytestmark = pytest.mark.integration


def example(client: TestClient) -> dict[str, Any]:
    """The serving manifest's example row."""
    return dict(client.get("/model").json()["example"])


def test_health_ready_and_model(client: TestClient, wine_lake: Lake) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    model = client.get("/model").json()
    assert ready.json()["model_version"] == model["version"]
    assert model["dataset"] == "wine_quality"
    assert model["trained_at"] == model["created_at"]
    types = {f["name"]: f["type"] for f in model["features"]}
    assert types["alcohol"] == "number" and types["wine_type"] == "category"
    assert "r2" in model["metrics"]["holdout"]
    assert model["serving"]["backend"] == "numpy"
    assert "path" not in json.dumps(model["artifacts"])


def test_single_prediction_has_rating_and_version(client: TestClient) -> None:
    response = client.post("/predict", json=example(client))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"prediction", "model_version", "quality_rating"}
    assert 3 <= body["prediction"] <= 9
    expected = "Poor" if body["prediction"] < 5 else "Average" if body["prediction"] < 7 else "Good"
    assert body["quality_rating"] == expected


def test_batch_prediction_keeps_order(client: TestClient) -> None:
    row = example(client)
    strong = {**row, "alcohol": 14.0, "volatile_acidity": 0.2}
    single = [client.post("/predict", json=r).json()["prediction"] for r in (row, strong)]
    body = client.post("/predict", json={"instances": [row, strong, row]}).json()
    assert body["predictions"] == [single[0], single[1], single[0]]
    assert len(body["quality_ratings"]) == 3
    assert body["model_version"] == client.get("/model").json()["version"]


def test_invalid_rows_get_422_naming_each_field(client: TestClient) -> None:
    row = example(client)
    del row["alcohol"]
    row.update({"wine_type": "rose", "ph": "3.2", "colour": "pink"})
    response = client.post("/predict", json=row)
    assert response.status_code == 422
    fields = {e["field"]: e["type"] for e in response.json()["detail"]}
    assert fields == {
        "alcohol": "missing",
        "wine_type": "literal_error",
        "ph": "float_type",
        "colour": "extra_forbidden",
    }


def test_batch_errors_name_the_instance_and_field(client: TestClient) -> None:
    row = example(client)
    response = client.post("/predict", json={"instances": [row, {**row, "density": None}]})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "instances", 1, "density"]


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(client: TestClient, token: str) -> None:
    row = example(client)
    text = json.dumps({**row, "sulphates": 0.5}).replace("0.5", token, 1)
    response = client.post("/predict", content=text, headers={"content-type": "application/json"})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert (error["field"], error["type"]) == ("sulphates", "finite_number")
    assert not math.isfinite(float(error["input"]))


def test_bodies_that_are_not_json_objects_are_refused(client: TestClient) -> None:
    assert client.post("/predict", content=b"{not json").status_code == 422
    assert client.post("/predict", json=[1, 2]).status_code == 422
    assert client.post("/predict", json={"instances": []}).status_code == 422


def test_batch_limit(wine_lake: Lake, client_for: Callable[..., TestClient]) -> None:
    client = client_for(wine_lake.url, max_batch=5)
    row = example(client)
    assert client.post("/predict", json={"instances": [row] * 5}).status_code == 200
    response = client.post("/predict", json={"instances": [row] * 6})
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "too_long"


def test_big_batches_run_off_the_event_loop_and_still_answer(
    wine_lake: Lake, client_for: Callable[..., TestClient]
) -> None:
    client = client_for(wine_lake.url, thread_offload_rows=2)
    body = client.post("/predict", json={"instances": [example(client)] * 3}).json()
    assert len(body["predictions"]) == 3


def test_body_over_the_limit_is_413_by_header_and_by_stream(
    wine_lake: Lake, client_for: Callable[..., TestClient]
) -> None:
    client = client_for(wine_lake.url, max_body_bytes=2048)
    big = json.dumps({"instances": [example(client)] * 20}).encode()
    assert len(big) > 2048
    assert client.post("/predict", content=big).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer
        for start in range(0, len(big), 500):
            yield big[start : start + 500]

    response = client.post("/predict", content=chunks())
    assert response.status_code == 413
    assert "limit of 2048 bytes" in response.json()["detail"]
    assert client.post("/predict", json=example(client)).status_code == 200


def test_no_model_yet_is_503_everywhere_but_health(
    file_lake: Lake, client_for: Callable[..., TestClient]
) -> None:
    client = client_for(file_lake.url)
    assert client.get("/health").status_code == 200
    assert client.get("/ready").status_code == 503
    assert client.get("/model").status_code == 503
    assert client.get("/").status_code == 503
    assert "/predict" in client.get("/openapi.json").json()["paths"]
    response = client.post("/predict", json={"alcohol": 10.0})
    assert response.status_code == 503
    assert "no model" in response.json()["detail"]


def test_api_key_when_configured(wine_lake: Lake, client_for: Callable[..., TestClient]) -> None:
    key = "s3cr3t-Key-0123456789"
    client = client_for(wine_lake.url, api_key=key)
    assert client.get("/model").status_code == 401
    assert client.get("/model", headers={"X-API-Key": key + "x"}).status_code == 401
    row = client.get("/model", headers={"X-API-Key": key}).json()["example"]
    assert client.post("/predict", json=row).status_code == 401
    assert client.post("/predict", json=row, headers={"X-API-Key": key}).status_code == 200
    assert client.get("/health").status_code == 200
    assert 'id="api-key"' in client.get("/").text


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    echoed = client.get("/ready", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = client.get("/ready", headers={"X-Request-ID": "bad id\twith spaces"})
    assert len(generated.headers["x-request-id"]) == 32


def test_unexpected_errors_are_a_generic_500_without_trace(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    client.app.add_api_route("/boom", boom)  # type: ignore[attr-defined]
    response = client.get("/boom", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error", "request_id": "req-500"}
    assert "secret" not in response.text and "Traceback" not in response.text
    assert any("secret internal detail" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_metrics_count_requests_by_route_and_exclude_health(client: TestClient) -> None:
    for _ in range(3):
        client.get("/health")
        client.get("/metrics")
    client.post("/predict", json=example(client))
    client.post("/predict", json={"bad": 1})
    client.get("/no/such/page")
    text = client.get("/metrics").text
    assert 'route="/predict",status="200"' in text
    assert 'route="/predict",status="422"' in text
    assert 'route="unmatched",status="404"' in text
    assert "/health" not in text and 'route="/metrics"' not in text
    assert "model_api_prediction_value_count 1.0" in text
    assert 'model_api_model_reloads_total{outcome="success"} 1.0' in text
    version = client.get("/model").json()["version"]
    assert (
        f'model_api_model_info{{backend="numpy",dataset="wine_quality",version="{version}"}} 1.0'
        in text
    )
    assert 'model_api_request_duration_seconds_bucket{le="0.002"' in text


def test_openapi_shows_the_real_features_and_example(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    features = document["components"]["schemas"]["Features"]
    assert "wine_type" in features["properties"] and "alcohol" in features["required"]
    assert features["properties"]["wine_type"]["enum"] == ["red", "white"]
    body = document["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert body["examples"]["single"]["value"] == example(client)
    assert client.get("/docs").status_code == 200


def test_form_page_is_generated_from_the_manifest(client: TestClient) -> None:
    page = client.get("/").text
    row = example(client)
    assert 'id="f-alcohol" name="alcohol"' in page and 'value="{}"'.format(row["alcohol"]) in page
    assert '<option value="red" selected>' in page
    assert page.count('data-feature="') == len(row)
