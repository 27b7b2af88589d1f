"""Dependencies shared by the routes, as `Annotated` aliases.

All are `async def` on purpose: FastAPI runs plain `def` dependencies in a thread pool,
and four thread hops per request cost more than the whole prediction.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from model_api.metrics import Metrics
from model_api.model_store import LoadedModel, ModelStore
from model_api.settings import ModelApiSettings


async def get_settings(request: Request) -> ModelApiSettings:
    """The app's settings."""
    settings: ModelApiSettings = request.app.state.settings
    return settings


async def get_store(request: Request) -> ModelStore:
    """The app's model store."""
    store: ModelStore = request.app.state.store
    return store


async def get_metrics(request: Request) -> Metrics:
    """The app's metrics."""
    metrics: Metrics = request.app.state.metrics
    return metrics


async def get_current_model(store: Annotated[ModelStore, Depends(get_store)]) -> LoadedModel:
    """The serving model, taken once per request; 503 before the first load."""
    model = store.current
    if model is None:
        raise HTTPException(503, "no model loaded yet: the service is waiting for a champion")
    return model


async def require_api_key(
    settings: Annotated[ModelApiSettings, Depends(get_settings)],
    x_api_key: Annotated[str | None, Header(description="needed when the server sets one")] = None,
) -> None:
    """401 unless X-API-Key matches MODEL_API_API_KEY (when one is configured)."""
    if settings.api_key is None:
        return
    expected = settings.api_key.get_secret_value().encode()
    # Constant-time comparison: the time taken must not reveal how much of a guess matched.
    if x_api_key is None or not hmac.compare_digest(x_api_key.encode(), expected):
        raise HTTPException(401, "missing or wrong X-API-Key", {"WWW-Authenticate": "ApiKey"})


SettingsDep = Annotated[ModelApiSettings, Depends(get_settings)]
StoreDep = Annotated[ModelStore, Depends(get_store)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ModelDep = Annotated[LoadedModel, Depends(get_current_model)]
ApiKeyDep = Depends(require_api_key)
