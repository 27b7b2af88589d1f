"""`make demo` end to end (scripts/demo.py --no-serve): sample data staged, both DAGs run
in-process, model-api started on the champion, one sample request answered."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_harness import REPO_ROOT, VENV_BIN, airflow_env, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.airflow, pytest.mark.slow]


def test_demo_serves_a_prediction_from_the_trained_champion(tmp_path: Path) -> None:
    if not (VENV_BIN / "model-api").exists():
        pytest.skip("model-api is not installed in this environment (make install)")
    lake = tmp_path / "lake"
    env = airflow_env(tmp_path / "airflow", lake.as_uri())
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "scripts" / "demo.py"),
            "--no-serve",
            "--port",
            str(free_port()),
            "--search-budget",
            "2",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    out = proc.stdout
    assert "ingest: success" in out and "train: success" in out
    assert "curl -s -X POST http://127.0.0.1:" in out
    champion = json.loads((lake / "models" / "wine_quality" / "champion.json").read_text())
    answer = json.loads(re.search(r"^\{\n.*?^\}$", out, re.MULTILINE | re.DOTALL).group(0))  # type: ignore[union-attr]
    assert answer["model_version"] == champion["version"]
    assert isinstance(answer["prediction"], float)
    assert answer["quality_rating"] in {"Poor", "Average", "Good"}
    # The sample files were consumed: archived, none left waiting in raw/.
    assert not list((lake / "raw").rglob("*.csv"))
    assert len(list((lake / "archive" / "wine_quality").rglob("*.csv"))) == 2
