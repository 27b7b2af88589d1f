"""GET /model's `drift`: the latest drift check from the lake, cached, null before any."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import Lake
from model_api.drift_status import parse_latest

pytestmark = pytest.mark.integration

KEY = "reports/wine_quality/drift/latest.json"
LATEST = {
    "dataset": "wine_quality",
    "batch_id": "part-shifted",
    "reference_version": "v20261130T200101Z-1a2b3c4d",
    "checked_at": "2026-11-30T21:00:00Z",
    "drifted": True,
    "drifted_features": ["alcohol", "wine_type"],
    "summary": "drift check wine_quality batch part-shifted: DRIFT in 2 of 12 features",
    "report": "reports/wine_quality/drift/part-shifted/report.html",
    "json": "reports/wine_quality/drift/part-shifted/drift.json",
}


def drift_of(client: TestClient) -> Any:
    return client.get("/model").json()["drift"]


def wait_for_drift(client: TestClient, expected: Any) -> None:
    deadline = time.monotonic() + 20
    while drift_of(client) != expected:
        assert time.monotonic() < deadline, f"drift status never became {expected!r}"
        time.sleep(0.05)


def test_model_shows_the_latest_drift_status(
    wine_lake: Lake, client_for: Callable[..., TestClient]
) -> None:
    client = client_for(wine_lake.url, drift_refresh_seconds=0.1)
    assert drift_of(client) is None  # no drift check has run yet
    wine_lake.put(KEY, json.dumps(LATEST).encode())
    expected = {k: v for k, v in LATEST.items() if k not in {"dataset", "json"}}
    wait_for_drift(client, expected)
    assert drift_of(client)["drifted_features"] == ["alcohol", "wine_type"]
    wine_lake.put(KEY, json.dumps({**LATEST, "drifted": False, "drifted_features": []}).encode())
    wait_for_drift(client, {**expected, "drifted": False, "drifted_features": []})
    wine_lake.put(KEY, b"{not json")
    wait_for_drift(client, None)  # unreadable status: null, and the model keeps serving
    assert client.get("/ready").status_code == 200


def test_status_read_at_start_and_cached_between_refreshes(
    wine_lake: Lake, client_for: Callable[..., TestClient]
) -> None:
    wine_lake.put(KEY, json.dumps(LATEST).encode())
    client = client_for(wine_lake.url, drift_refresh_seconds=3600)
    assert drift_of(client)["batch_id"] == "part-shifted"
    wine_lake.put(KEY, json.dumps({**LATEST, "batch_id": "newer"}).encode())
    # Not re-read on the request path: the cached copy answers until the next refresh.
    assert drift_of(client)["batch_id"] == "part-shifted"


@pytest.mark.parametrize("data", [b"[]", b'{"drifted": "yes"}', b"\xff\xfe"])
def test_malformed_latest_is_refused(data: bytes) -> None:
    with pytest.raises(ValueError):
        parse_latest(data)
