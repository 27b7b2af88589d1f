"""`pipeline ingest` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from testdata import RED_WINE

pytestmark = pytest.mark.unit


def run_cli(args: list[str], lake: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAKE_URL": lake.as_uri()}
    return subprocess.run(
        [sys.executable, "-m", "pipeline.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_ingest_keeps_hive_folders_and_exits_0(tmp_path: Path) -> None:
    result = run_cli(["ingest", str(RED_WINE), "--dataset", "wine_quality", "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout.strip().splitlines()[-1])
    assert record["status"] == "curated"
    assert record["raw_key"] == "raw/wine_quality/wine_type=red/winequality-red.csv"
    assert record["duplicate_rows"] == 240
    assert (tmp_path / record["curated_key"]).is_file()


def test_quarantine_exits_3_with_reason(tmp_path: Path) -> None:
    bad = tmp_path / "in" / "bad.csv"
    bad.parent.mkdir()
    bad.write_bytes(b"")
    lake = tmp_path / "lake"
    result = run_cli(
        ["ingest", str(bad), "--dataset", "wine_quality", "--partition", "wine_type=red"], lake
    )
    assert result.returncode == 3
    assert "quarantined" in result.stdout and "empty" in result.stdout.lower()
    assert list((lake / "quarantine").rglob("bad.csv.error.json"))


def test_unknown_dataset_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(["ingest", str(RED_WINE), "--dataset", "nope"], tmp_path)
    assert result.returncode == 2
    assert "no dataset 'nope'" in result.stderr
