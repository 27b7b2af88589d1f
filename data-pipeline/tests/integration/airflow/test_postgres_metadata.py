"""Both DAGs with dag.test() on a loopback S3 lake (moto server), with Airflow's metadata
in PostgreSQL (a fresh database): the in-process end-to-end run of the S3 lake and the
real metadata database in one pass, to keep the suite's time down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_harness import (
    airflow_env,
    assert_ingested,
    assert_model_registered,
    fresh_postgres_database,
    query,
    run_dags,
    stage_wine_files,
)

pytestmark = [pytest.mark.airflow, pytest.mark.postgres, pytest.mark.s3, pytest.mark.slow]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this module's Airflow metadata, dropped after."""
    with fresh_postgres_database() as url:
        yield url


def test_s3_lake_ingest_and_train_with_postgres_metadata(
    postgres_url: str, s3_lake: Any, tmp_path: Path
) -> None:
    url = postgres_url
    stage_wine_files(s3_lake)
    env = airflow_env(tmp_path / "airflow", s3_lake.url, sql_alchemy_conn=url)
    code, summaries, output = run_dags(env, ["ingest", "train"], tmp_path)
    assert code == 0, output[-5000:]
    assert_ingested(s3_lake, summaries)
    assert_model_registered(s3_lake, summaries)

    # The runs are recorded in PostgreSQL, not in a SQLite file.
    runs = dict(query(url, "SELECT dag_id, state FROM dag_run"))
    assert runs == {"ingest": "success", "train": "success"}
    mapped = query(
        url, "SELECT count(*) FROM task_instance WHERE task_id = 'ingest_file' AND map_index >= 0"
    )
    assert mapped == [(3,)]
    assert not (tmp_path / "airflow" / "airflow.db").exists()
