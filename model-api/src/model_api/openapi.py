"""An OpenAPI document that shows the serving model's real feature schema and example."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from model_api.api.predict import BatchPrediction, Prediction
from model_api.model_store import ModelStore
from model_api.schema import BATCH_KEY


def install_dynamic_openapi(app: FastAPI, store: ModelStore) -> None:
    """Make `app.openapi()` rebuild the document whenever the serving version changes."""
    cache: dict[str | None, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        model = store.current
        key = model.version if model else None
        if key not in cache:
            cache.clear()
            cache[key] = _build(app, store)
        return cache[key]

    build: Callable[[], dict[str, Any]] = openapi
    app.openapi = build  # type: ignore[method-assign]


def _build(app: FastAPI, store: ModelStore) -> dict[str, Any]:
    model = store.current
    description = app.description
    if model is not None:
        description += (
            f"\n\nServing **{model.manifest.dataset}** model "
            f"`{model.version}` (task: {model.manifest.task})."
        )
    document = get_openapi(
        title=app.title, version=app.version, description=description, routes=app.routes
    )
    if model is None:
        return document
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(model.schema.json_schemas())
    for out in (Prediction, BatchPrediction):
        schemas[out.__name__] = out.model_json_schema(ref_template="#/components/schemas/{model}")
    operation = document["paths"]["/predict"]["post"]
    operation["requestBody"] = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/Features"},
                        {"$ref": "#/components/schemas/Batch"},
                    ]
                },
                "examples": {
                    "single": {"summary": "one row", "value": model.schema.example},
                    "batch": {"summary": "a batch", "value": {BATCH_KEY: [model.schema.example]}},
                },
            }
        },
    }
    operation["responses"]["200"]["content"] = {
        "application/json": {
            "schema": {
                "anyOf": [
                    {"$ref": "#/components/schemas/Prediction"},
                    {"$ref": "#/components/schemas/BatchPrediction"},
                ]
            }
        }
    }
    return document
