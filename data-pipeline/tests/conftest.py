"""Shared fixtures: lakes on a temp folder and on a real S3-protocol server on loopback."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from pipeline.lake import LocalLake, S3Lake, make_s3_client

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DATA = REPO_ROOT / "data-pipeline" / "sample-data" / "wine_quality"
RED_WINE = SAMPLE_DATA / "wine_type=red" / "winequality-red.csv"
WHITE_WINE = SAMPLE_DATA / "wine_type=white" / "winequality-white.csv"
SHARED_DIR = REPO_ROOT.parent / "shared"
CORPUS_DIR = SHARED_DIR / "data" / "csv-corpus"

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


def require_corpus() -> Path:
    """The shared csv-corpus folder, or skip the test saying why."""
    if not (CORPUS_DIR / "labels.json").is_file():
        pytest.skip(f"shared csv-corpus not found at {CORPUS_DIR} (fresh clone without ../shared)")
    return CORPUS_DIR
