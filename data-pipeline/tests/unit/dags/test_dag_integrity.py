"""DAG integrity: the DAG files import cleanly, fast, and are configured as designed.

The DAGs folder is parsed in a fresh child process (its own AIRFLOW_HOME), the way the
dag-processor parses it: Airflow's SDK loaded, then every file in the folder.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_harness import DAGS_DIR, airflow_env

pytestmark = [pytest.mark.unit, pytest.mark.airflow]

FACTS = Path(__file__).with_name("dag_facts.py")


def parse_dags(tmp: Path, extra: dict[str, str] | None = None) -> dict[str, Any]:
    env = airflow_env(tmp / "airflow", (tmp / "lake").as_uri(), extra=extra)
    proc = subprocess.run(
        [sys.executable, str(FACTS), str(DAGS_DIR)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    facts: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return facts


@pytest.fixture(scope="module")
def facts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return parse_dags(tmp_path_factory.mktemp("dagbag"))


def test_every_dag_file_imports_without_errors(facts: dict[str, Any]) -> None:
    assert facts["import_errors"] == {}
    assert sorted(facts["dags"]) == ["ingest", "train"]


def test_dag_files_do_no_heavy_work_at_import(facts: dict[str, Any]) -> None:
    # The spec's integrity rule: parsing the whole folder stays under 2 s, and no data
    # library is imported at module level (they load inside the tasks).
    assert facts["parse_seconds"] < 2.0
    assert facts["heavy_imported"] == []


def test_ingest_polls_every_minute_one_run_at_a_time(facts: dict[str, Any]) -> None:
    ingest = facts["dags"]["ingest"]
    assert ingest["schedule"] == "* * * * *"
    assert ingest["catchup"] is False
    assert ingest["max_active_runs"] == 1
    assert ingest["tags"] == ["data-pipeline", "ingest"]
    assert "exactly once" in ingest["doc_md"]


def test_ingest_maps_one_retried_task_per_file(facts: dict[str, Any]) -> None:
    tasks = facts["dags"]["ingest"]["tasks"]
    assert list(tasks) == [
        "find_new_files",
        "ingest_file",
        "announce_curated_data",
        "fail_run_if_a_file_failed",
    ]
    ingest_file = tasks["ingest_file"]
    assert ingest_file["mapped"] is True
    assert ingest_file["retries"] >= 3
    assert ingest_file["retry_exponential_backoff"] > 1
    assert ingest_file["has_retry_policy"] is True
    assert ingest_file["execution_timeout"] == 3600
    announce = tasks["announce_curated_data"]
    assert announce["outlets"] == ["AssetAlias(name='curated_data', group='asset')"]
    assert announce["trigger_rule"].endswith("ALL_DONE")
    assert tasks["fail_run_if_a_file_failed"]["trigger_rule"].endswith("ONE_FAILED")
    assert all(task["doc"] for task in tasks.values())


def test_train_is_scheduled_on_curated_assets_and_takes_params(facts: dict[str, Any]) -> None:
    train = facts["dags"]["train"]
    assert train["timetable"] == "AssetTriggeredTimetable"
    assert "uri='lake://curated/wine_quality'" in train["asset_condition"]
    assert train["max_active_runs"] == 1
    assert train["params"] == {"dataset": "auto", "search_budget": None, "force_promote": False}
    assert train["tags"] == ["data-pipeline", "train"]
    assert train["tasks"]["train_model"]["mapped"] is True
    assert all(task["doc"] for task in train["tasks"].values())
    assert all(task["execution_timeout"] for task in train["tasks"].values())


def test_event_driven_dag_appears_only_with_a_queue(tmp_path: Path) -> None:
    queue = "http://127.0.0.1:9/000000000000/raw-events"
    facts = parse_dags(
        tmp_path,
        {
            "PIPELINE_RAW_EVENTS_QUEUE_URL": queue,
            "PIPELINE_INGEST_SCHEDULE": "@hourly",
        },
    )
    assert facts["import_errors"] == {}
    assert sorted(facts["dags"]) == ["ingest", "ingest_from_s3_events", "train"]
    events = facts["dags"]["ingest_from_s3_events"]
    assert events["timetable"] == "AssetTriggeredTimetable"
    assert "raw_object_created" in events["asset_condition"]
    assert facts["dags"]["ingest"]["schedule"] == "@hourly"
    assert events["tasks"]["ingest_file"]["mapped"] is True
