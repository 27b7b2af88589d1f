"""Fixtures: real models fitted on the bundled wine data, file:// and loopback S3 lakes,
the app in-process (TestClient) and on a real loopback socket (uvicorn in a thread)."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sklearn.pipeline import Pipeline

from model_api.main import create_app
from model_api.settings import ModelApiSettings
from model_api_testkit import (
    NUMERIC,
    Put,
    file_put,
    fit_pipeline,
    load_wine,
    make_version,
    promote,
    write_version,
)

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CATEGORICAL = ["wine_type"]


@pytest.fixture(scope="session")
def wine() -> pd.DataFrame:
    """All red + white rows with cleaned names."""
    return load_wine()


@pytest.fixture(scope="session")
def wine_pipeline(wine: pd.DataFrame) -> Pipeline:
    """A small real forest (20 trees) on all wine features."""
    return fit_pipeline(wine, NUMERIC, CATEGORICAL, "quality", n_estimators=20, seed=1)


@pytest.fixture(scope="session")
def wine_pipeline_v2(wine: pd.DataFrame) -> Pipeline:
    """A second model with other features (no wine_type, fewer numbers): schema changes."""
    return fit_pipeline(wine, NUMERIC[:6], [], "quality", n_estimators=10, seed=2)


@dataclass
class Lake:
    """A lake the tests write models into, and the URL model-api reads it from."""

    url: str
    put: Put

    def publish(
        self,
        pipeline: Pipeline,
        frame: pd.DataFrame,
        numeric: list[str],
        categorical: list[str],
        *,
        seed: int,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Write a version and make it champion; returns its manifest."""
        manifest = write_version(
            self.put, pipeline, frame, numeric, categorical, version=make_version(seed), **kwargs
        )
        promote(self.put, manifest)
        return manifest


@pytest.fixture
def file_lake(tmp_path: Path) -> Lake:
    """An empty file:// lake."""
    root = tmp_path / "lake"
    root.mkdir()
    return Lake(root.as_uri(), file_put(root))


@pytest.fixture
def wine_lake(file_lake: Lake, wine: pd.DataFrame, wine_pipeline: Pipeline) -> Lake:
    """A file:// lake whose champion is the 20-tree wine model."""
    file_lake.publish(wine_pipeline, wine, NUMERIC, CATEGORICAL, seed=1)
    return file_lake


@pytest.fixture
def settings_for() -> Callable[..., ModelApiSettings]:
    """Settings for a lake URL (fast polling for reload tests)."""

    def make(url: str, **overrides: Any) -> ModelApiSettings:
        values: dict[str, Any] = {"lake_url": url, "poll_interval_seconds": 0.1}
        values.update(overrides)
        return ModelApiSettings(**values)

    return make


@pytest.fixture
def client_for(
    settings_for: Callable[..., ModelApiSettings],
) -> Iterator[Callable[..., TestClient]]:
    """TestClients (lifespan entered) for a lake, closed at teardown."""
    with contextlib.ExitStack() as stack:

        def make(url: str, **overrides: Any) -> TestClient:
            app = create_app(settings_for(url, **overrides))
            return stack.enter_context(TestClient(app, raise_server_exceptions=False))

        yield make


@pytest.fixture
def client(wine_lake: Lake, client_for: Callable[..., TestClient]) -> TestClient:
    """The app serving the wine model from a file:// lake."""
    return client_for(wine_lake.url)


def free_port() -> int:
    """A free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run the app with uvicorn on a free loopback port in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on loopback, reached by boto3 through AWS_ENDPOINT_URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {
        k: os.environ.get(k)
        for k in (
            "AWS_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_DEFAULT_REGION",
        )
    }
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
    )
    try:
        yield endpoint
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


_bucket_counter = iter(range(1_000_000))


@pytest.fixture
def s3_lake(s3_endpoint: str) -> Lake:
    """An empty bucket (with a prefix) on the loopback S3 server."""
    client = boto3.client("s3")
    bucket = f"lake-{next(_bucket_counter)}-{os.getpid()}"
    client.create_bucket(Bucket=bucket)

    def put(key: str, data: bytes) -> None:
        client.put_object(Bucket=bucket, Key=f"prod/{key}", Body=data)

    return Lake(f"s3://{bucket}/prod", put)
