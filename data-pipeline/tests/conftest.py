"""Shared fixtures: lakes on a temp folder and on a real S3-protocol server on loopback, and a
real MLflow tracking server on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests

from pipeline.lake import LocalLake, S3Lake, make_s3_client
from testdata import (
    REPO_ROOT,
)

_S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """A moto S3/SQS server on a free loopback port; sets boto3's env to reach it.

    Yields the endpoint URL. The process environment keeps AWS_ENDPOINT_URL for the
    session so subprocesses (CLI, Airflow tasks) reach the same server.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {key: os.environ.get(key) for key in [*_S3_ENV, "AWS_ENDPOINT_URL"]}
    os.environ.update(_S3_ENV)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    try:
        yield endpoint
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def s3_bucket(s3_server: str) -> str:
    """A fresh, empty bucket on the loopback server."""
    name = f"lake-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_server).create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_lake(s3_bucket: str) -> S3Lake:
    """An S3 lake under a prefix of a fresh bucket (prefixes must work too)."""
    return S3Lake(s3_bucket, "lake", client=make_s3_client())


@pytest.fixture
def file_lake(tmp_path: Path) -> LocalLake:
    """A local-folder lake in a temp directory."""
    root = tmp_path / "lake"
    root.mkdir()
    return LocalLake(root)


@pytest.fixture(params=["file", "s3"])
def any_lake(request: pytest.FixtureRequest) -> LocalLake | S3Lake:
    """The same test against both backends."""
    if request.param == "file":
        lake: LocalLake | S3Lake = request.getfixturevalue("file_lake")
    else:
        lake = request.getfixturevalue("s3_lake")
    return lake


MLFLOW_VENV = REPO_ROOT / ".venv-mlflow"
MLFLOW_PIN = "mlflow==3.17.2"
STARTUP_SECONDS = 240  # a cold start migrates a fresh SQLite schema; slow on a busy 2-core box


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`mlflow server` from .venv-mlflow with a SQLite store; yields its base URL.

    Artifacts are proxied by the server (`--artifacts-destination`), as in a deployment
    where the pipeline has no access to the artifact store's disk.
    """
    executable = MLFLOW_VENV / "bin" / "mlflow"
    if not executable.is_file():
        pytest.skip(
            f"no MLflow server venv at {MLFLOW_VENV}: create it with `python3.11 -m venv "
            f".venv-mlflow && .venv-mlflow/bin/pip install {MLFLOW_PIN}` (make install does)"
        )
    root = tmp_path_factory.mktemp("mlflow")
    port = _free_port()
    log_path = root / "server.log"
    command = [
        str(executable), "server",
        "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
        "--artifacts-destination", (root / "artifacts").as_uri(),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
    ]  # fmt: skip
    # The job runner (background GenAI jobs) is not used and slows the start.
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log_path)
        yield url
    finally:
        # The CLI runs uvicorn in a child process: stop the whole group we started.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            pytest.fail(f"mlflow server exited with {process.returncode}:\n{tail}")
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    tail = log_path.read_text(errors="replace")[-2000:]
    pytest.fail(f"mlflow server not healthy at {url} after {STARTUP_SECONDS} s:\n{tail}")
