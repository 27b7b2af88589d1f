"""`pipeline drift` through the real entry point: exit codes, report keys, plain errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import layout
from pipeline.cli import main
from pipeline.datasets import load_dataset_spec
from pipeline.drift_check import write_reference_stats
from pipeline.lake import LocalLake
from pipeline.settings import default_datasets_dir, get_settings
from wine_lake import wine_frame, write_curated

pytestmark = pytest.mark.unit

VERSION = "v20261130T200101Z-1a2b3c4d"


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalLake]:
    lake = LocalLake(tmp_path / "lake")
    monkeypatch.setenv("LAKE_URL", lake.url)
    get_settings.cache_clear()
    yield lake
    get_settings.cache_clear()


def make_champion(lake: LocalLake) -> None:
    """A champion trained on the white wines: reference stats, manifest, pointer."""
    spec = load_dataset_spec("wine_quality", default_datasets_dir())
    write_reference_stats(lake, spec, VERSION, wine_frame("white"))
    manifest_key = layout.model_version_prefix(spec.name, VERSION) + "manifest.json"
    manifest = {"version": VERSION, "drift_reference": "reference_stats.json"}
    lake.write_bytes(manifest_key, json.dumps(manifest).encode())
    pointer = {"version": VERSION, "manifest": manifest_key}
    lake.write_bytes(layout.champion_key(spec.name), json.dumps(pointer).encode())


def test_drift_exit_codes_and_reports(lake: LocalLake, capsys: pytest.CaptureFixture[str]) -> None:
    white = wine_frame("white").sample(frac=0.5, random_state=3)
    same = write_curated(lake, white, "part-same")
    assert main(["drift", "--dataset", "wine_quality", "--batch", same]) == 2
    assert "no champion" in capsys.readouterr().err

    make_champion(lake)
    assert main(["drift", "--dataset", "wine_quality", "--batch", same]) == 0
    out = capsys.readouterr().out
    assert "no drift in 12 features" in out
    assert "report: reports/wine_quality/drift/part-same/report.html" in out

    shifted = write_curated(lake, white.assign(alcohol=white["alcohol"] + 3), "part-shifted")
    assert main(["drift", "--dataset", "wine_quality", "--json"]) == 4  # newest file by default
    printed = json.loads(capsys.readouterr().out)
    assert printed["batch_id"] == "part-shifted" and printed["drifted_features"] == ["alcohol"]
    assert lake.exists("reports/wine_quality/drift/part-shifted/report.html")
    assert shifted.endswith("part-shifted.parquet")


def test_unknown_batch_and_dataset_are_usage_errors(
    lake: LocalLake, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["drift", "--dataset", "wine_quality", "--batch", "curated/x.parquet"]) == 2
    assert "is not in" in capsys.readouterr().err
    assert main(["drift", "--dataset", "wine_quality"]) == 2
    assert "no curated data" in capsys.readouterr().err
    assert main(["drift", "--dataset", "nope"]) == 2
    assert "no dataset 'nope'" in capsys.readouterr().err
