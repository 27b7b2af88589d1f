"""Both DAGs with dag.test() with Airflow's metadata in PostgreSQL (a fresh database)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from airflow_harness import airflow_env, query, run_dags, stage_wine_files, task_states

pytestmark = [pytest.mark.airflow, pytest.mark.postgres, pytest.mark.slow]


def test_ingest_and_train_with_postgres_metadata(
    postgres_database: Callable[[], str], file_lake: Any, tmp_path: Path
) -> None:
    url = postgres_database()
    stage_wine_files(file_lake)
    env = airflow_env(tmp_path / "airflow", file_lake.url, sql_alchemy_conn=url)
    code, summaries, output = run_dags(env, ["ingest", "train"], tmp_path)
    assert code == 0, output[-5000:]
    assert [s["state"] for s in summaries] == ["success", "success"]
    states = task_states(summaries[0])
    assert states["ingest_file[wine_quality/not_wine.csv]"] == "success"
    assert file_lake.exists("models/wine_quality/champion.json")
    assert list(file_lake.list("quarantine/wine_quality/"))

    # The runs are recorded in PostgreSQL, not in a SQLite file.
    runs = dict(query(url, "SELECT dag_id, state FROM dag_run"))
    assert runs == {"ingest": "success", "train": "success"}
    mapped = query(
        url, "SELECT count(*) FROM task_instance WHERE task_id = 'ingest_file' AND map_index >= 0"
    )
    assert mapped == [(3,)]
    assert not (tmp_path / "airflow" / "airflow.db").exists()
