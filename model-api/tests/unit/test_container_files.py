"""Dockerfile and docker-compose.yml: linted offline, and the properties we promise."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.unit

COMPONENT = Path(__file__).resolve().parents[2]
DOCKERFILE = COMPONENT / "Dockerfile"
COMPOSE = COMPONENT / "docker-compose.yml"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (pip install -r requirements-dev.txt)")
    return found


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [_tool("hadolint"), str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_matches_the_compose_spec() -> None:
    result = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_is_multi_stage_slim_non_root_with_healthcheck() -> None:
    text = DOCKERFILE.read_text()
    stages = re.findall(r"^FROM (\S+)", text, flags=re.MULTILINE)
    assert stages.count("python:3.11-slim") == 2 and len(stages) == 3
    runtime = text.split("AS runtime", 1)[1].split("AS lambda", 1)[0]
    assert "USER 10001:10001" in runtime and "HEALTHCHECK" in runtime and "/health" in runtime
    assert "EXPOSE 8000" in runtime
    assert "-r requirements.txt" in text and "scikit-learn" not in text


def test_requirements_are_inference_only_and_pinned() -> None:
    lines = [
        ln.split("#")[0].strip() for ln in (COMPONENT / "requirements.txt").read_text().splitlines()
    ]
    pins = [ln for ln in lines if ln]
    assert all("==" in ln for ln in pins)
    names = {re.split(r"[\[=]", ln)[0].lower() for ln in pins}
    assert names.isdisjoint({"scikit-learn", "pandas", "skops", "apache-airflow", "data-pipeline"})
    assert {"fastapi", "numpy", "boto3", "uvicorn"} <= names


def test_compose_services_are_healthy_and_secrets_required() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert set(services) == {"minio", "create-bucket", "model-api"}
    for name in ("minio", "model-api"):
        assert "healthcheck" in services[name]
    deps = services["model-api"]["depends_on"]
    assert deps["create-bucket"]["condition"] == "service_completed_successfully"
    assert services["create-bucket"]["depends_on"]["minio"]["condition"] == "service_healthy"
    text = COMPOSE.read_text()
    assert "${MINIO_ROOT_PASSWORD:?" in text and "${MINIO_ROOT_USER:?" in text
