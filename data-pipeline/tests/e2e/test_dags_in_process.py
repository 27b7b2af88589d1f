"""Both DAGs, run for real with dag.test() in a child process, on a file:// lake.

The same run on a loopback S3 lake (with PostgreSQL metadata) is in
tests/integration/airflow/test_postgres_metadata.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_harness import (
    airflow_env,
    assert_ingested,
    assert_model_registered,
    run_dags,
    stage_wine_files,
)

pytestmark = [pytest.mark.e2e, pytest.mark.airflow, pytest.mark.slow]


def test_file_lake_ingest_then_train_and_rerun_changes_nothing(
    file_lake: Any, tmp_path: Path
) -> None:
    stage_wine_files(file_lake)
    env = airflow_env(tmp_path / "airflow", file_lake.url)
    code, summaries, output = run_dags(env, ["ingest", "train"], tmp_path)
    assert code == 0, output[-5000:]
    assert_ingested(file_lake, summaries)
    assert_model_registered(file_lake, summaries)
    curated_before = sorted(info.key for info in file_lake.list("curated/"))

    # The same bytes dropped again: processed once only (archived, no new curated data),
    # and the run announces nothing, so training is not woken up.
    stage_wine_files(file_lake, with_bad_file=False)
    env = airflow_env(tmp_path / "airflow", file_lake.url)
    code, _, output = run_dags(env, ["ingest"], tmp_path)
    assert code == 0, output[-5000:]
    assert sorted(info.key for info in file_lake.list("curated/")) == curated_before
    assert list(file_lake.list("raw/wine_quality/")) == []
    assert "no new curated data in this run" in output
