"""Both DAGs, run for real with dag.test() in a child process, on file:// and S3 lakes."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path
from typing import Any

import pytest

from airflow_harness import (
    BAD_CSV,
    BAD_KEY,
    WINE_FILES,
    airflow_env,
    run_dags,
    stage_wine_files,
    task_states,
)

pytestmark = [pytest.mark.e2e, pytest.mark.airflow, pytest.mark.slow]

TRAINING_EXISTS = importlib.util.find_spec("pipeline.train") is not None


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


def run_both(lake: Any, tmp_path: Path) -> list[dict[str, Any]]:
    stage_wine_files(lake)
    env = airflow_env(tmp_path / "airflow", lake.url)
    dag_ids = ["ingest", "train"] if TRAINING_EXISTS else ["ingest"]
    code, summaries, output = run_dags(env, dag_ids, tmp_path)
    assert summaries, output[-5000:]
    assert_ingested(lake, summaries)
    if TRAINING_EXISTS:
        assert code == 0, output[-5000:]
        assert_model_registered(lake, summaries)
    return summaries


def test_file_lake_ingest_then_train_and_rerun_changes_nothing(
    file_lake: Any, tmp_path: Path
) -> None:
    run_both(file_lake, tmp_path)
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


@pytest.mark.s3
def test_s3_lake_ingest_then_train(s3_lake: Any, tmp_path: Path) -> None:
    run_both(s3_lake, tmp_path)
