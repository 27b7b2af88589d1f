"""lambda_handler: API Gateway v2 / Function URL events through the same app."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conftest import Lake
from model_api.lambda_handler import _Runtime, handle_event
from model_api.main import create_app
from model_api.settings import ModelApiSettings

pytestmark = pytest.mark.integration


def event(method: str, path: str, body: Any = None, b64: bool = False) -> dict[str, Any]:
    """A Function URL / HTTP API payload v2 event."""
    text = "" if body is None else json.dumps(body)
    return {
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "host": "abc.lambda-url.aws",
            "x-request-id": "lambda-1",
        },
        "requestContext": {"http": {"method": method, "path": path, "sourceIp": "1.2.3.4"}},
        "body": base64.b64encode(text.encode()).decode() if b64 else text,
        "isBase64Encoded": b64,
    }


@pytest.fixture
def runtime(wine_lake: Lake, settings_for: Callable[..., ModelApiSettings]) -> Iterator[_Runtime]:
    runtime = _Runtime(create_app(settings_for(wine_lake.url)))
    yield runtime
    runtime.close()


def test_predict_event(runtime: _Runtime) -> None:
    model = json.loads(handle_event(runtime, event("GET", "/model"))["body"])
    response = handle_event(runtime, event("POST", "/predict", model["example"], b64=True))
    assert response["statusCode"] == 200
    assert response["headers"]["x-request-id"] == "lambda-1"
    body = json.loads(response["body"])
    assert body["model_version"] == model["version"]
    assert body["quality_rating"] in {"Poor", "Average", "Good"}


def test_errors_and_rest_api_events(runtime: _Runtime) -> None:
    response = handle_event(runtime, event("POST", "/predict", {"alcohol": "x"}))
    assert response["statusCode"] == 422
    rest = {
        "httpMethod": "GET",
        "path": "/ready",
        "headers": {},
        "body": None,
        "requestContext": {"identity": {"sourceIp": "1.2.3.4"}},
    }
    assert handle_event(runtime, rest)["statusCode"] == 200
    with pytest.raises(ValueError, match="not an API Gateway"):
        handle_event(runtime, {"Records": []})


def test_cold_start_entry_point_reads_the_environment(
    wine_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging

    import model_api.lambda_handler as module

    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # handler() configures logging
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setenv("LAKE_URL", wine_lake.url)
    monkeypatch.setattr(module, "_runtime", None)
    first = module.handler(event("GET", "/ready"))
    runtime = module._runtime
    try:
        assert first["statusCode"] == 200
        assert json.loads(first["body"])["status"] == "ready"
        module.handler(event("GET", "/health"))
        assert module._runtime is runtime  # warm invocations reuse the loaded app
    finally:
        assert runtime is not None
        runtime.close()
