"""Liveness, readiness and the Prometheus scrape."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from model_api.api.deps import MetricsDep, StoreDep

router = APIRouter(tags=["operations"])


@router.get("/health", summary="Liveness: the process answers")
async def health() -> dict[str, str]:
    """Always 200 while the process runs (a model need not be loaded)."""
    return {"status": "ok"}


@router.get(
    "/ready",
    summary="Readiness: 200 once a model is loaded, else 503",
    responses={503: {"description": "no model loaded yet"}},
)
async def ready(store: StoreDep) -> JSONResponse:
    """200 with the serving version once a model is loaded; stays 200 if the lake goes away."""
    model = store.current
    if model is None:
        return JSONResponse({"status": "waiting for a model"}, status_code=503)
    return JSONResponse({"status": "ready", "model_version": model.version})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(metrics: MetricsDep) -> Response:
    """The exposition text (all workers when PROMETHEUS_MULTIPROC_DIR is set)."""
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
