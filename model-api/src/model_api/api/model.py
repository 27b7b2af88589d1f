"""GET /model: what is serving."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from model_api.api.deps import ApiKeyDep, ModelDep, SettingsDep
from model_api.drift_status import DriftStatus

router = APIRouter(tags=["model"])


@router.get(
    "/model",
    summary="The serving model's manifest",
    dependencies=[ApiKeyDep],
    responses={503: {"description": "no model loaded yet"}},
)
async def get_model(request: Request, model: ModelDep, settings: SettingsDep) -> dict[str, Any]:
    """Dataset, version, features with types, metrics, trained_at, backend, load time.

    `drift` is the latest drift check of the dataset (reports/<dataset>/drift/latest.json,
    re-read in the background every MODEL_API_DRIFT_REFRESH_SECONDS), null before any.
    """
    body = model.manifest.public()
    body["serving"] = {
        "backend": settings.backend.value,
        "loaded_at": model.loaded_at.isoformat(),
        "load_seconds": round(model.load_seconds, 4),
    }
    drift: DriftStatus = request.app.state.drift
    body["drift"] = drift.current
    return body
