"""The app factory (`create_app`) and the `model-api` console script."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

import model_api
from model_api.api.router import build_router
from model_api.drift_status import DriftStatus
from model_api.lake import LakeLogWriter, LakeReader, open_lake_reader
from model_api.logs import configure_logging
from model_api.metrics import Metrics
from model_api.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from model_api.model_store import ModelStore
from model_api.openapi import install_dynamic_openapi
from model_api.prediction_log import PredictionLog
from model_api.service import InvalidRequestError, json_safe
from model_api.settings import ModelApiSettings

logger = logging.getLogger(__name__)

DESCRIPTION = (
    "Serves the lake's champion model. The request schema of POST /predict is generated "
    "from the serving model's manifest; unknown fields are refused."
)


def create_app(settings: ModelApiSettings | None = None, lake: LakeReader | None = None) -> FastAPI:
    """Build the app; the model is loaded in the lifespan, never at import time."""
    settings = settings or ModelApiSettings()
    lake = lake or open_lake_reader(settings.lake_url)
    metrics = Metrics()
    store = ModelStore(lake, settings, metrics)
    drift = DriftStatus(lake, settings)
    # A lake without a write path (a test double, say) simply gets no prediction logs.
    prediction_log = PredictionLog(
        lake if isinstance(lake, LakeLogWriter) else None, settings, metrics
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logger.info(
            "model-api starting: lake %s, dataset %s, backend %s",
            lake.url,
            settings.dataset,
            settings.backend.value,
        )
        await store.refresh()
        await drift.refresh()
        tasks = [
            asyncio.create_task(store.poll_forever(), name="champion-poll"),
            asyncio.create_task(drift.poll_forever(), name="drift-status-poll"),
        ]
        prediction_log.start()
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await prediction_log.stop()  # the last flush: queued rows reach the lake

    app = FastAPI(
        title="model-api", version=model_api.__version__, description=DESCRIPTION, lifespan=lifespan
    )
    app.state.settings = settings
    app.state.store = store
    app.state.metrics = metrics
    app.state.drift = drift
    app.state.prediction_log = prediction_log
    app.include_router(build_router())
    app.add_exception_handler(InvalidRequestError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _request_validation)  # type: ignore[arg-type]
    # Added last = outermost: the request id exists before the size check answers.
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    install_dynamic_openapi(app, store)
    return app


async def _invalid_request(_: Request, error: InvalidRequestError) -> JSONResponse:
    return JSONResponse({"detail": error.errors}, status_code=422)


async def _request_validation(_: Request, error: RequestValidationError) -> JSONResponse:
    detail = [
        {
            "type": e.get("type"),
            "loc": list(e.get("loc", ())),
            "msg": e.get("msg"),
            "input": json_safe(e.get("input")),
        }
        for e in error.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def create_app_from_env() -> FastAPI:
    """Zero-argument factory for uvicorn (`--factory`), used by each worker process."""
    settings = ModelApiSettings()
    configure_logging(settings.log_level)
    return create_app(settings)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """`model-api [--host 127.0.0.1] [--port 8000] [--workers N]`."""
    parser = argparse.ArgumentParser(prog="model-api", description=DESCRIPTION)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Validate the settings, then serve with uvicorn."""
    import uvicorn

    args = parse_args(argv)
    configure_logging("INFO")
    try:
        settings = ModelApiSettings()  # fail here, once, in plain words, not in every worker
    except ValidationError as error:
        logger.error("invalid settings: %s", error)
        return 2
    configure_logging(settings.log_level)
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker counts on its own; a shared directory lets /metrics sum them all.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="model-api-metrics-")
    uvicorn.run(
        "model_api.main:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_config=None,
        proxy_headers=False,
    )
    return 0
