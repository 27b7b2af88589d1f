"""Distributed execution: the DAGs under the CeleryExecutor, with the Redis server on
127.0.0.1:6379 as broker, PostgreSQL metadata, and a Celery worker process started here.

Airflow's own pieces run as separate processes, as in docker compose: api-server (also
the execution API the worker's tasks report to), scheduler, dag-processor, celery worker.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_harness import (
    VENV_BIN,
    WINE_FILES,
    AirflowProcesses,
    airflow_env,
    free_port,
    fresh_postgres_database,
    ingest_run_that_processed_a_file,
    redis_broker_url,
    wait_for,
)

pytestmark = [pytest.mark.airflow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

RED_KEY = "raw/wine_quality/wine_type=red/winequality-red.csv"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the Airflow metadata, dropped after the test."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def celery_airflow(postgres_url: str, tmp_path: Path) -> Iterator[AirflowProcesses]:
    """Airflow with the CeleryExecutor: api-server, scheduler, dag-processor, one worker."""
    url = postgres_url
    redis_broker = redis_broker_url()
    lake = tmp_path / "lake"
    lake.mkdir()
    port = free_port()
    # A queue of our own: no other Celery worker on this Redis takes our tasks.
    queue = f"pipeline-test-{uuid.uuid4().hex[:8]}"
    env = airflow_env(
        tmp_path / "airflow",
        lake.as_uri(),
        sql_alchemy_conn=url,
        extra={
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CELERY__BROKER_URL": redis_broker,
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + url,
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex * 2,
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        },
    )
    migrate = subprocess.run(
        [str(VENV_BIN / "airflow"), "db", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
    airflow = AirflowProcesses(
        env=env, home=tmp_path / "airflow", port=port, lake_root=lake, queue=queue
    )
    airflow.start("api-server", "api-server", "--port", str(port), "--host", "127.0.0.1")
    airflow.start("scheduler", "scheduler")
    airflow.start("dag-processor", "dag-processor")
    airflow.start("celery-worker", "celery", "worker", "--queues", queue, "--concurrency", "2")
    try:
        airflow.wait_healthy(timeout=240)
        yield airflow
    finally:
        airflow.stop()


def test_dags_run_on_a_celery_worker(celery_airflow: AirflowProcesses) -> None:
    airflow = celery_airflow
    assert airflow.lake_root is not None
    target = airflow.lake_root / RED_KEY
    target.parent.mkdir(parents=True)
    shutil.copy2(WINE_FILES[RED_KEY], target)

    checked: set[str] = set()
    ingest_run = wait_for(
        lambda: ingest_run_that_processed_a_file(airflow, checked),
        timeout=300,
        interval=3,
        what="an ingest run on the Celery worker",
    )
    assert ingest_run["state"] == "success", airflow.log_tail()
    # Every task went through our Celery queue and ran in the worker process.
    queues = {t["queue"] for t in airflow.task_instances("ingest", ingest_run["dag_run_id"])}
    assert queues == {airflow.queue}
    worker_log = (airflow.home / "celery-worker.log").read_text(errors="replace")
    assert "ingest_file" in worker_log

    train_run = airflow.wait_for_run("train", timeout=300)
    assert train_run["state"] == "success", airflow.log_tail()
    champion = json.loads(
        (airflow.lake_root / "models" / "wine_quality" / "champion.json").read_text()
    )
    assert champion["dataset"] == "wine_quality"
