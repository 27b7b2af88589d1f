"""POST /predict: one flat row, or `{"instances": [...]}`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from model_api.api.deps import ApiKeyDep, ModelDep
from model_api.body import parse_json_body
from model_api.metrics import Metrics
from model_api.model_store import LoadedModel
from model_api.prediction_log import PredictionLog
from model_api.schema import BATCH_KEY
from model_api.service import (
    batch_response,
    parse_rows,
    predict,
    single_response,
)
from model_api.settings import ModelApiSettings

router = APIRouter(tags=["predict"])


class Prediction(BaseModel):
    """Answer to a single row."""

    prediction: float | int | str
    model_version: str
    quality_rating: str | None = None


class BatchPrediction(BaseModel):
    """Answer to `{"instances": [...]}`, in the same order."""

    predictions: list[float | int | str]
    model_version: str
    quality_ratings: list[str | None] | None = None


Answer = tuple[dict[str, Any], list[dict[str, Any]], list[Any], list[str | None]]


def _answer(model: LoadedModel, payload: Any, metrics: Metrics) -> Answer:
    rows, batch = parse_rows(model, payload)
    predictions, ratings = predict(model, rows)
    metrics.predicted_rows.inc(len(rows))
    if model.manifest.task == "regression":
        for value in predictions:
            metrics.predictions.observe(value)
    if batch:
        return batch_response(model, predictions, ratings), rows, predictions, ratings
    return single_response(model, predictions[0], ratings[0]), rows, predictions, ratings


@router.post(
    "/predict",
    summary="Predict one row or a batch",
    dependencies=[ApiKeyDep],
    responses={
        200: {"description": "prediction(s) and the model version that made them"},
        413: {"description": "body larger than MODEL_API_MAX_BODY_BYTES"},
        415: {"description": "Content-Type is not application/json (UTF-8)"},
        422: {"description": "invalid body; `detail` names each offending field"},
        503: {"description": "no model loaded yet"},
    },
)
async def post_predict(request: Request, model: ModelDep) -> JSONResponse:
    """Validate against the serving model's features (see the schema below), then predict.

    The request schema is generated from the serving model's manifest and changes when a
    model with other features is promoted; /openapi.json always shows the current one.
    """
    # Settings and metrics straight from app.state: every dependency FastAPI resolves
    # costs tens of microseconds on the hottest route.
    settings: ModelApiSettings = request.app.state.settings
    metrics: Metrics = request.app.state.metrics
    log: PredictionLog = request.app.state.prediction_log
    body = await request.body()
    payload = parse_json_body(body, request.headers.get("content-type"))
    instances = payload.get(BATCH_KEY) if isinstance(payload, dict) else None
    if isinstance(instances, list) and len(instances) >= settings.thread_offload_rows:
        # Big batches leave the event loop free for other requests while they compute.
        answer, rows, predictions, ratings = await run_in_threadpool(
            _answer, model, payload, metrics
        )
    else:
        answer, rows, predictions, ratings = _answer(model, payload, metrics)
    # A queue append per sampled row; the lake is written by a background task.
    log.record(model, rows, predictions, ratings)
    return JSONResponse(answer)
