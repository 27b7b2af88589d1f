"""Helpers for the Airflow tests: isolated Airflow environments, DAG runs, live servers.

Every Airflow test gets its own AIRFLOW_HOME in a temp folder and its own metadata
database; Airflow always runs in child processes here, so each one reads its
configuration fresh and the pytest process never caches Airflow settings.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = REPO_ROOT / "data-pipeline" / "dags"
RUN_DAGS = REPO_ROOT / "scripts" / "run_dags.py"
VENV_BIN = Path(sys.executable).parent
SAMPLE_DATA = REPO_ROOT / "data-pipeline" / "sample-data" / "wine_quality"
WINE_FILES = {
    "raw/wine_quality/wine_type=red/winequality-red.csv": SAMPLE_DATA
    / "wine_type=red"
    / "winequality-red.csv",
    "raw/wine_quality/wine_type=white/winequality-white.csv": SAMPLE_DATA
    / "wine_type=white"
    / "winequality-white.csv",
}
# A file with the wrong columns: it must end in quarantine/ with a reason, never curated.
BAD_KEY = "raw/wine_quality/not_wine.csv"
BAD_CSV = b"name,colour\nmerlot,red\nriesling,white\n"
# Tiny hyper-parameter search: the tests check the flow, not the model's quality.
TEST_SEARCH_BUDGET = "2"


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def airflow_env(
    home: Path,
    lake_url: str,
    *,
    sql_alchemy_conn: str | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment of an Airflow child process with its own home and database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sql_alchemy_conn
            or f"sqlite:///{home / 'airflow.db'}",
            "LAKE_URL": lake_url,
            "PIPELINE_SEARCH_BUDGET": TEST_SEARCH_BUDGET,
            "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


def stage_wine_files(lake: Any, *, with_bad_file: bool = True) -> list[str]:
    """Put the bundled wine CSVs (and the bad file) under raw/wine_quality/ of `lake`.

    Local files get an old modification time: the ingest DAG leaves a local file that
    changed in the last seconds for the next run (it may still be being copied in).
    """
    keys = []
    for key, path in WINE_FILES.items():
        lake.upload_file(key, path)
        keys.append(key)
    if with_bad_file:
        lake.write_bytes(BAD_KEY, BAD_CSV)
        keys.append(BAD_KEY)
    old = time.time() - 3600
    for key in keys:
        local = lake.local_path(key)
        if local is not None:
            os.utime(local, (old, old))
    return keys


def run_dags(
    env: dict[str, str], dag_ids: list[str], work: Path, *, timeout: float = 600
) -> tuple[int, list[dict[str, Any]], str]:
    """Run DAGs in a child process with dag.test(); (exit code, run summaries, output)."""
    summary_file = work / f"runs-{'-'.join(dag_ids)}.json"
    summary_file.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, str(RUN_DAGS), *dag_ids, "--json-out", str(summary_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = proc.stdout + proc.stderr
    (work / f"runs-{'-'.join(dag_ids)}.log").write_text(output, encoding="utf-8")
    summaries = json.loads(summary_file.read_text()) if summary_file.exists() else []
    return proc.returncode, summaries, output


def task_states(summary: dict[str, Any]) -> dict[str, str]:
    """`task_id[label]` -> state of one run summary."""
    return {
        f"{t['task_id']}[{t['label']}]" if t["label"] else t["task_id"]: t["state"]
        for t in summary["tasks"]
    }


def wait_for(
    check: Callable[[], Any], *, timeout: float, interval: float = 1.0, what: str = "condition"
) -> Any:
    """Poll `check` until it returns something truthy; raise after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
        except (httpx.HTTPError, OSError, KeyError, ValueError) as error:
            last_error = error
            value = None
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(
        f"timed out after {timeout:.0f} s waiting for {what} (last error: {last_error})"
    )


@dataclass
class AirflowProcesses:
    """Airflow server processes started by a test, stopped (process groups) at the end."""

    env: dict[str, str]
    home: Path
    port: int
    lake_root: Path | None = None
    queue: str | None = None
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    token: str | None = None

    @property
    def base_url(self) -> str:
        """The API server's root URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        """Start `airflow <args>` in its own process group, logging to `<home>/<name>.log`."""
        log = (self.home / f"{name}.log").open("wb")
        airflow = str(VENV_BIN / "airflow") if (VENV_BIN / "airflow").exists() else "airflow"
        proc = subprocess.Popen(
            [airflow, *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        """Terminate every started process group, then kill what is left."""
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def check_alive(self) -> None:
        """Fail with the log tail when a started process died."""
        for proc in self.procs:
            if proc.poll() is not None:
                raise RuntimeError(f"airflow process {proc.args} exited with {proc.returncode}")

    def wait_healthy(self, timeout: float = 120) -> None:
        """Wait until the API server answers its health route."""

        def healthy() -> bool:
            self.check_alive()
            response = httpx.get(f"{self.base_url}/api/v2/monitor/health", timeout=5)
            return response.status_code == 200

        try:
            wait_for(healthy, timeout=timeout, what="the Airflow API server's health route")
        except (TimeoutError, RuntimeError) as error:
            raise RuntimeError(f"{error}\n{self.log_tail()}") from error

    def admin_password(self) -> str:
        """The simple auth manager's generated admin password."""
        path = self.home / "simple_auth_manager_passwords.json.generated"
        return str(json.loads(path.read_text())["admin"])

    def login(self) -> str:
        """A bearer token from POST /auth/token (user admin)."""
        response = httpx.post(
            f"{self.base_url}/auth/token",
            json={"username": "admin", "password": self.admin_password()},
            timeout=10,
        )
        response.raise_for_status()
        self.token = str(response.json()["access_token"])
        return self.token

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call the REST API v2 with the bearer token."""
        headers = {"Authorization": f"Bearer {self.token or self.login()}"}
        return httpx.request(
            method, f"{self.base_url}/api/v2{path}", headers=headers, timeout=30, **kwargs
        )

    def dag_runs(self, dag_id: str) -> list[dict[str, Any]]:
        """The DAG's runs, newest first."""
        response = self.api("GET", f"/dags/{dag_id}/dagRuns", params={"order_by": "-run_after"})
        response.raise_for_status()
        return list(response.json()["dag_runs"])

    def wait_for_run(
        self, dag_id: str, *, timeout: float, after: set[str] | None = None
    ) -> dict[str, Any]:
        """The first finished run of `dag_id` not in `after`; fail if it did not succeed."""
        seen = after or set()

        def finished() -> dict[str, Any] | None:
            self.check_alive()
            for run in self.dag_runs(dag_id):
                if run["dag_run_id"] not in seen and run["state"] in {"success", "failed"}:
                    return run
            return None

        run: dict[str, Any] = wait_for(
            finished, timeout=timeout, interval=2, what=f"a {dag_id} run"
        )
        return run

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """The task instances of one run (mapped ones included)."""
        response = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")
        response.raise_for_status()
        return list(response.json()["task_instances"])

    def log_tail(self, lines: int = 60) -> str:
        """The end of every process log, for failure messages."""
        parts = []
        for log in sorted(self.home.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(parts)


def ingest_run_that_processed_a_file(
    airflow: AirflowProcesses, checked: set[str]
) -> dict[str, Any] | None:
    """A finished ingest run with an ingest_file task, or None yet (fails on a failed run)."""
    for run in airflow.dag_runs("ingest"):
        if run["dag_run_id"] in checked or run["state"] not in {"success", "failed"}:
            continue
        tasks = airflow.task_instances("ingest", run["dag_run_id"])
        files = [t for t in tasks if t["task_id"] == "ingest_file" and t["map_index"] >= 0]
        if not files:
            checked.add(run["dag_run_id"])
            continue
        return {**run, "files": files}
    return None


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    """Rows of one query on the database behind a SQLAlchemy URL."""
    import psycopg2

    name = url.rsplit("/", 1)[1]
    conn = psycopg2.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={name}")
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())
    finally:
        conn.close()


def curated_rows(lake: Any) -> int:
    """Rows in every curated Parquet file of the wine dataset."""
    import pyarrow.parquet as pq

    return sum(
        pq.read_metadata(io.BytesIO(lake.read_bytes(info.key))).num_rows
        for info in lake.list("curated/wine_quality/")
        if info.key.endswith(".parquet")
    )


def assert_ingested(lake: Any, summaries: list[dict[str, Any]]) -> None:
    """The lake and the ingest run look as the spec says after one ingest run."""
    states = task_states(summaries[0])
    assert summaries[0]["state"] == "success", states
    for key in [*WINE_FILES, BAD_KEY]:
        assert states[f"ingest_file[{key.removeprefix('raw/')}]"] == "success", states
    assert states["announce_curated_data"] == "success"
    assert states["fail_run_if_a_file_failed"] == "skipped"
    assert list(lake.list("raw/wine_quality/")) == []
    archived = {info.key.split("/", 3)[3]: info.key for info in lake.list("archive/wine_quality/")}
    for key, path in WINE_FILES.items():
        relative = key.removeprefix("raw/wine_quality/")
        assert lake.read_bytes(archived[relative]) == path.read_bytes()
    quarantined = [info.key for info in lake.list("quarantine/wine_quality/")]
    data = [k for k in quarantined if k.endswith("not_wine.csv")]
    assert len(data) == 1 and lake.read_bytes(data[0]) == BAD_CSV
    error = json.loads(lake.read_bytes(data[0] + ".error.json"))
    assert error["reason"]
    # 1,599 red + 4,898 white rows in the UCI files; none lost (duplicates are kept).
    assert curated_rows(lake) == 6497


def assert_model_registered(lake: Any, summaries: list[dict[str, Any]]) -> None:
    """The train run registered a version and made it champion (first model)."""
    assert summaries[1]["dag_id"] == "train"
    assert summaries[1]["state"] == "success", task_states(summaries[1])
    champion = json.loads(lake.read_bytes("models/wine_quality/champion.json"))
    manifest = json.loads(lake.read_bytes(champion["manifest"]))
    assert manifest["version"] == champion["version"]
    assert manifest["dataset"] == "wine_quality"
    assert manifest["training_data"]["rows"] > 5000


POSTGRES_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
# A database number of our own on the shared Redis server.
REDIS_BROKER_URL = "redis://127.0.0.1:6379/11"


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on 127.0.0.1:5432, dropped on exit; its URL."""
    import importlib.util

    import psycopg2

    # Airflow 3 opens an async engine next to the sync one; on PostgreSQL that is asyncpg.
    if importlib.util.find_spec("asyncpg") is None:
        raise RuntimeError("Airflow on PostgreSQL needs asyncpg: pip install asyncpg==0.32.0")
    conn = psycopg2.connect(POSTGRES_DSN, connect_timeout=5)
    conn.autocommit = True
    name = f"airflow_test_{uuid.uuid4().hex[:12]}"
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        yield POSTGRES_URL.format(name=name)
    finally:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def redis_broker_url() -> str:
    """The Redis broker URL for the tests, after checking the server answers."""
    import redis

    redis.Redis.from_url(REDIS_BROKER_URL, socket_connect_timeout=5).ping()
    return REDIS_BROKER_URL


def start_standalone(root: Path) -> AirflowProcesses:
    """`airflow standalone` on a free loopback port over a fresh file:// lake and SQLite."""
    lake = root / "lake"
    lake.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = airflow_env(
        root / "airflow",
        lake.as_uri(),
        extra={
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            # Tasks reach the execution API here; Airflow assumes port 8080 otherwise.
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            # Log servers on free ports too: another Airflow on this machine may hold the
            # defaults (8793, 8794).
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
        },
    )
    airflow = AirflowProcesses(env=env, home=root / "airflow", port=port, lake_root=lake)
    airflow.start("standalone", "standalone")
    try:
        airflow.wait_healthy(timeout=240)
    except BaseException:
        airflow.stop()
        raise
    return airflow
