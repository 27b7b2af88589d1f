"""The user's path on a live `airflow standalone`: a CSV copied into raw/wine_quality/ is
ingested by the scheduled `ingest` DAG, and the curated-data Asset starts `train`; all
observed through the REST API v2 with token auth."""

from __future__ import annotations

import json
import shutil
from typing import Any

import pytest

from airflow_harness import (
    WINE_FILES,
    AirflowProcesses,
    ingest_run_that_processed_a_file,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.airflow, pytest.mark.slow]

RED_KEY = "raw/wine_quality/wine_type=red/winequality-red.csv"


def test_dropped_csv_is_ingested_then_trained(standalone: AirflowProcesses) -> None:
    airflow = standalone
    assert airflow.lake_root is not None

    def dags_loaded() -> dict[str, Any] | None:
        response = airflow.api("GET", "/dags")
        dags = {d["dag_id"]: d for d in response.json()["dags"]}
        return dags if {"ingest", "train"} <= set(dags) else None

    dags = wait_for(dags_loaded, timeout=180, interval=2, what="the DAGs to be parsed")
    assert dags["ingest"]["is_paused"] is False
    assert dags["train"]["is_paused"] is False

    # The user's gesture: `cp -p` the file into the drop zone of the local lake.
    target = airflow.lake_root / RED_KEY
    target.parent.mkdir(parents=True)
    shutil.copy2(WINE_FILES[RED_KEY], target)

    checked: set[str] = set()
    ingest_run = wait_for(
        lambda: ingest_run_that_processed_a_file(airflow, checked),
        timeout=240,
        interval=3,
        what="an ingest run that processed the dropped file",
    )
    assert ingest_run["state"] == "success", airflow.log_tail()
    assert [(t["rendered_map_index"], t["state"]) for t in ingest_run["files"]] == [
        ("wine_quality/wine_type=red/winequality-red.csv", "success")
    ]
    assert not target.exists()
    archived = list((airflow.lake_root / "archive" / "wine_quality").rglob("winequality-red.csv"))
    assert len(archived) == 1
    assert archived[0].read_bytes() == WINE_FILES[RED_KEY].read_bytes()

    # The curated-data Asset event starts train by itself (data-aware scheduling).
    train_run = airflow.wait_for_run("train", timeout=300)
    assert train_run["state"] == "success", airflow.log_tail()
    assert train_run["run_type"] == "asset_triggered"
    champion = json.loads(
        (airflow.lake_root / "models" / "wine_quality" / "champion.json").read_text()
    )
    assert champion["dataset"] == "wine_quality"
