"""Pre-process -> predict -> post-process for one loaded model (no HTTP here)."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import ValidationError

from model_api.model_store import LoadedModel
from model_api.schema import is_batch

ECHO_MAX_CHARS = 100


class InvalidRequestError(ValueError):
    """The body does not fit the model's schema; `errors` name each offending field."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} invalid field(s)")
        self.errors = errors


def json_safe(value: Any) -> Any:
    # Echoed inputs may be NaN/Infinity, which strict JSON cannot carry.
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    if isinstance(value, dict | list):
        return None  # whole objects are not echoed back: the loc says where the problem is
    if isinstance(value, str) and len(value) > ECHO_MAX_CHARS:
        # A megabyte string in a category field must not come back as a megabyte answer.
        return value[:ECHO_MAX_CHARS] + "..."
    return value


def _errors(error: ValidationError) -> list[dict[str, Any]]:
    return [
        {
            "type": e["type"],
            "loc": ["body", *e["loc"]],
            "msg": e["msg"],
            "field": next((str(p) for p in reversed(e["loc"]) if isinstance(p, str)), None),
            "input": json_safe(e.get("input")),
        }
        for e in error.errors(include_url=False)
    ]


def parse_rows(model: LoadedModel, payload: Any) -> tuple[list[dict[str, Any]], bool]:
    """Validated rows and whether the body was a batch.

    Raises:
        InvalidRequestError: missing, unknown, mistyped or non-finite fields.
    """
    try:
        if is_batch(payload, model.manifest):
            batch = model.schema.batch.model_validate(payload)
            return [row.model_dump() for row in batch.instances], True  # type: ignore[attr-defined]
        return [model.schema.row.model_validate(payload).model_dump()], False
    except ValidationError as error:
        raise InvalidRequestError(_errors(error)) from error


def predict(model: LoadedModel, rows: list[dict[str, Any]]) -> tuple[list[Any], list[str | None]]:
    """Predictions (numbers, or class labels) and rating labels, one per row."""
    values = model.predictor.predict_values(rows)
    manifest = model.manifest
    if manifest.task == "classification":
        classes = list(manifest.classes or ())
        labels = [classes[int(i)] for i in np.argmax(values, axis=1)]
        return labels, [None] * len(labels)
    predictions = [float(v) for v in values[:, 0]]
    return predictions, [manifest.rating(p) for p in predictions]


def single_response(model: LoadedModel, prediction: Any, rating: str | None) -> dict[str, Any]:
    """`{"prediction", "model_version"}` plus `quality_rating` where the dataset has bands."""
    body: dict[str, Any] = {"prediction": prediction, "model_version": model.version}
    if model.manifest.rating_bands and model.manifest.task == "regression":
        body["quality_rating"] = rating
    return body


def batch_response(
    model: LoadedModel, predictions: list[Any], ratings: list[str | None]
) -> dict[str, Any]:
    """`{"predictions", "model_version"}` plus `quality_ratings` where the dataset has bands."""
    body: dict[str, Any] = {"predictions": predictions, "model_version": model.version}
    if model.manifest.rating_bands and model.manifest.task == "regression":
        body["quality_ratings"] = ratings
    return body
