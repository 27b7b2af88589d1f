"""Hostile request bodies over a real socket: each gets its documented 4xx, fast, and the
process stays healthy (README "Input rules")."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conftest import Lake, serve
from model_api.main import create_app
from model_api.settings import ModelApiSettings

pytestmark = [pytest.mark.security, pytest.mark.e2e]

JSON = {"content-type": "application/json"}
MAX_BATCH = 10_000  # the default MODEL_API_MAX_BATCH, so the real limit is exercised
PER_REQUEST_SECONDS = 15  # a hang fails the test instead of blocking it


@dataclass(frozen=True)
class Case:
    """One hostile body, how it is sent, and the answer it must get."""

    body: Callable[[dict[str, Any]], bytes]
    status: int
    headers: dict[str, str]
    error_type: str | None = None
    field: str | None = None


def _dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def _with(**changes: Any) -> Callable[[dict[str, Any]], bytes]:
    return lambda row: _dumps(row | changes)


CASES: dict[str, Case] = {
    "nested-arrays-100k": Case(lambda _: b"[" * 100_000, 422, JSON, "json_too_deep"),
    "nested-objects-50k": Case(lambda _: b'{"a":' * 50_000, 422, JSON, "json_too_deep"),
    "nested-closed-5k": Case(lambda _: b"[" * 5_000 + b"]" * 5_000, 422, JSON, "json_too_deep"),
    "batch-over-limit": Case(
        lambda row: _dumps({"instances": [row] * (MAX_BATCH + 1)}), 422, JSON, "too_long"
    ),
    "category-string-1mb": Case(
        _with(wine_type="r" * 1_000_000), 422, JSON, "literal_error", "wine_type"
    ),
    "number-as-string": Case(_with(alcohol="9.4"), 422, JSON, "float_type", "alcohol"),
    "boolean-for-number": Case(_with(alcohol=True), 422, JSON, "float_type", "alcohol"),
    "duplicate-key": Case(
        lambda row: _dumps(row)[:-1] + b', "alcohol": 99}',
        422,
        JSON,
        "json_duplicate_key",
        "alcohol",
    ),
    "truncated-json": Case(lambda row: _dumps(row)[:-7], 422, JSON, "json_invalid"),
    "utf16-with-bom": Case(lambda row: json.dumps(row).encode("utf-16"), 422, JSON, "json_invalid"),
    "utf16le-without-bom": Case(
        lambda row: json.dumps(row).encode("utf-16-le"), 422, JSON, "json_invalid"
    ),
    "utf8-bom": Case(lambda row: b"\xef\xbb\xbf" + _dumps(row), 422, JSON, "json_invalid"),
    "content-type-text-plain": Case(_dumps, 415, {"content-type": "text/plain"}),
    "content-type-form": Case(
        lambda _: b"alcohol=9.4", 415, {"content-type": "application/x-www-form-urlencoded"}
    ),
    "content-type-json-utf16": Case(
        _dumps, 415, {"content-type": "application/json; charset=utf-16"}
    ),
    "content-type-multipart": Case(
        lambda _: b"--x\r\n\r\n{}\r\n--x--",
        415,
        {"content-type": "multipart/form-data; boundary=x"},
    ),
}


@pytest.fixture(scope="module")
def base_url(
    tmp_path_factory: pytest.TempPathFactory,
    wine: Any,
    wine_pipeline: Any,
) -> Iterator[str]:
    """One uvicorn on loopback for the whole module (every case also checks it survives)."""
    from model_api_testkit import NUMERIC, file_put

    root = tmp_path_factory.mktemp("hostile-lake")
    Lake(root.as_uri(), file_put(root)).publish(wine_pipeline, wine, NUMERIC, ["wine_type"], seed=1)
    settings = ModelApiSettings(lake_url=root.as_uri(), max_batch=MAX_BATCH)
    with serve(create_app(settings)) as base:
        yield base


@pytest.fixture(scope="module")
def example(base_url: str) -> dict[str, Any]:
    """The serving manifest's example row (a valid request)."""
    return dict(httpx.get(f"{base_url}/model", timeout=10).json()["example"])


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_body_gets_its_4xx_and_the_service_stays_healthy(
    base_url: str, example: dict[str, Any], name: str
) -> None:
    case = CASES[name]
    with httpx.Client(base_url=base_url, timeout=PER_REQUEST_SECONDS) as http:
        response = http.post("/predict", content=case.body(example), headers=case.headers)
        assert response.status_code == case.status, response.text[:500]
        detail = response.json()["detail"]
        if case.status == 422:
            assert case.error_type in {d["type"] for d in detail}, detail[:3]
            if case.field is not None:
                assert case.field in {d["field"] for d in detail}, detail[:3]
        else:
            assert "application/json" in detail
        # The answer never echoes a huge input back (bounded amplification, bounded logs).
        assert len(response.content) < 20_000
        assert http.get("/health").status_code == 200
        valid = http.post("/predict", json=example)
        assert valid.status_code == 200 and "prediction" in valid.json()


def test_json_without_content_type_is_still_read_as_json(
    base_url: str, example: dict[str, Any]
) -> None:
    # Clients that send bytes without any Content-Type (the rule says: read as JSON).
    response = httpx.post(f"{base_url}/predict", content=_dumps(example), timeout=10)
    assert response.status_code == 200
