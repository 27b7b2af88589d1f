"""Once in a real browser: headless Chromium logs in to the Airflow UI, triggers `train`
with the Trigger button, and sees the run succeed. The screenshot goes to test-artifacts/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from airflow_harness import WINE_FILES, AirflowProcesses, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.airflow, pytest.mark.browser, pytest.mark.slow]

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
