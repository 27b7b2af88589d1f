"""A live `airflow standalone` (api-server, scheduler, dag-processor, triggerer), shared by
the REST API and browser tests of this folder to start Airflow once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_harness import AirflowProcesses, airflow_env, free_port


@pytest.fixture(scope="session")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowProcesses]:
    """Airflow standalone on a free loopback port, over a fresh file:// lake and SQLite DB."""
    root = tmp_path_factory.mktemp("standalone")
    lake = root / "lake"
    lake.mkdir()
    port = free_port()
    env = airflow_env(
        root / "airflow",
        lake.as_uri(),
        extra={
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            # Tasks reach the execution API here; Airflow assumes port 8080 otherwise.
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        },
    )
    airflow = AirflowProcesses(env=env, home=root / "airflow", port=port, lake_root=lake)
    airflow.start("standalone", "standalone")
    try:
        airflow.wait_healthy(timeout=240)
        yield airflow
    finally:
        airflow.stop()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """test-artifacts/ at the repository root (screenshots; ignored by git)."""
    path = Path(__file__).resolve().parents[3] / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
