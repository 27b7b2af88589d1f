"""GET /model: what is serving."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from model_api.api.deps import ApiKeyDep, ModelDep, SettingsDep

router = APIRouter(tags=["model"])


@router.get(
    "/model",
    summary="The serving model's manifest",
    dependencies=[ApiKeyDep],
    responses={503: {"description": "no model loaded yet"}},
)
async def get_model(model: ModelDep, settings: SettingsDep) -> dict[str, Any]:
    """Dataset, version, features with types, metrics, trained_at, backend, load time."""
    body = model.manifest.public()
    body["serving"] = {
        "backend": settings.backend.value,
        "loaded_at": model.loaded_at.isoformat(),
        "load_seconds": round(model.load_seconds, 4),
    }
    return body
