"""The Dockerfile and docker-compose.yml, checked without Docker: linted, validated against
the compose specification, and read for the settings the deployment relies on."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

COMPONENT = Path(__file__).resolve().parents[2]
DOCKERFILE = COMPONENT / "Dockerfile"
COMPOSE = COMPONENT / "docker-compose.yml"
ENV_EXAMPLE = COMPONENT / ".env.example"
BIN = Path(sys.executable).parent


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def test_dockerfile_passes_hadolint() -> None:
    result = run_tool(str(BIN / "hadolint"), str(DOCKERFILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_does_catch_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\n")
    assert run_tool(str(BIN / "hadolint"), str(bad)).returncode != 0


def test_dockerfile_builds_on_the_official_image_as_non_root() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM apache/airflow:3\.3\.2-python3\.11$", text, re.MULTILINE)
    users = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert "-r requirements.txt" in text and "-c constraints.txt" in text


def test_compose_file_matches_the_compose_specification() -> None:
    result = run_tool(
        str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_has_the_airflow_quick_start_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {
        "postgres",
        "redis",
        "minio",
        "minio-init",
        "airflow-apiserver",
        "airflow-scheduler",
        "airflow-dag-processor",
        "airflow-worker",
        "airflow-triggerer",
        "airflow-init",
    }
    assert all("healthcheck" in service for service in services.values())
    env = services["airflow-worker"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["LAKE_URL"] == "s3://lake"
    assert env["AWS_ENDPOINT_URL"] == "http://minio:9000"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:6379")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    # SQLAlchemy 2.1's default PostgreSQL driver is psycopg 3, which the image lacks.
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://")
    for name in ["airflow-apiserver", "airflow-scheduler", "airflow-worker", "airflow-triggerer"]:
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["minio-init"]["condition"] == "service_completed_successfully"
        assert depends["airflow-init"]["condition"] == "service_completed_successfully"
    assert "mc mb --ignore-existing local/lake" in services["minio-init"]["command"][0]


def test_shared_airflow_settings_are_one_anchor() -> None:
    text = COMPOSE.read_text()
    assert "x-airflow-common: &airflow-common" in text
    assert text.count("<<: *airflow-common\n") == 6


def test_secrets_have_no_defaults_and_are_documented() -> None:
    text = COMPOSE.read_text()
    required = set(re.findall(r"\$\{([A-Z_]+):\?", text))
    assert required >= {"POSTGRES_PASSWORD", "AIRFLOW_FERNET_KEY", "MINIO_ROOT_PASSWORD"}
    documented = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert required <= set(documented)
    # Blank in the example, so a copied .env fails at `up` until someone fills it in.
    assert all(documented[name] == "" for name in required)
