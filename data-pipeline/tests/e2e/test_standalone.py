"""The user's path on a live `airflow standalone` (api-server, scheduler, dag-processor,
triggerer), started once for this module:

* a CSV copied into raw/wine_quality/ is ingested by the scheduled `ingest` DAG, and the
  curated-data Asset starts `train`; all observed through the REST API v2 with token auth;
* once in a real browser: headless Chromium logs in to the UI, triggers `train` with the
  Trigger button and sees the run succeed (screenshot under test-artifacts/).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_harness import (
    REPO_ROOT,
    WINE_FILES,
    AirflowProcesses,
    ingest_run_that_processed_a_file,
    start_standalone,
    wait_for,
)

pytestmark = [pytest.mark.e2e, pytest.mark.airflow, pytest.mark.slow]


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowProcesses]:
    """One Airflow standalone for both tests (it takes a while to start)."""
    airflow = start_standalone(tmp_path_factory.mktemp("standalone"))
    try:
        yield airflow
    finally:
        airflow.stop()


@pytest.fixture(scope="module")
def artifacts_dir() -> Path:
    """test-artifacts/ at the repository root (ignored by git)."""
    path = REPO_ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


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


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
WHITE_KEY = "raw/wine_quality/wine_type=white/winequality-white.csv"


def ensure_curated_data(airflow: AirflowProcesses) -> None:
    """Training needs curated data: drop a file unless an earlier test already did."""
    assert airflow.lake_root is not None
    curated = airflow.lake_root / "curated" / "wine_quality"
    if not any(curated.glob("*.parquet")):
        target = airflow.lake_root / WHITE_KEY
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(WINE_FILES[WHITE_KEY], target)
        wait_for(
            lambda: any(curated.glob("*.parquet")),
            timeout=240,
            interval=3,
            what="curated data from the ingest DAG",
        )


@pytest.mark.browser
def test_trigger_train_from_the_ui(standalone: AirflowProcesses, artifacts_dir: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    airflow = standalone
    ensure_curated_data(airflow)
    before = {run["dag_run_id"] for run in airflow.dag_runs("train")}

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{airflow.base_url}/dags/train", wait_until="networkidle")
            page.get_by_label("Username").fill("admin")
            page.get_by_label("Password").fill(airflow.admin_password())
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(lambda url: "/auth/login" not in url, timeout=60_000)
            page.wait_for_load_state("networkidle")

            page.get_by_role("button", name="Trigger").click()
            dialog = page.get_by_role("dialog")
            dialog.get_by_role("button", name="Trigger").click()

            run = airflow.wait_for_run("train", timeout=300, after=before)
            assert run["state"] == "success", airflow.log_tail()
            assert run["run_type"] == "manual"

            page.goto(
                f"{airflow.base_url}/dags/train/runs/{run['dag_run_id']}",
                wait_until="networkidle",
            )
            page.get_by_text("success", exact=False).first.wait_for(timeout=30_000)
            page.screenshot(path=str(artifacts_dir / "airflow-train-run-succeeded.png"))
        finally:
            browser.close()
