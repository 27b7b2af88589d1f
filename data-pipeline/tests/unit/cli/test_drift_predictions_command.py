"""`pipeline drift --predictions` on model-api's prediction logs, and `pipeline models` showing
the latest drift status, through the real entry point."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline import layout
from pipeline.cli import main
from pipeline.datasets import load_dataset_spec
from pipeline.drift_check import write_reference_stats
from pipeline.drift_predictions import prediction_log_keys, read_prediction_features
from pipeline.lake import LocalLake
from pipeline.settings import default_datasets_dir, get_settings
from wine_lake import wine_frame

pytestmark = pytest.mark.unit

VERSION = "v20261130T200101Z-1a2b3c4d"
WINE = "wine_quality"


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalLake]:
    lake = LocalLake(tmp_path / "lake")
    monkeypatch.setenv("LAKE_URL", lake.url)
    get_settings.cache_clear()
    yield lake
    get_settings.cache_clear()


def make_champion(lake: LocalLake) -> None:
    """A champion trained on the white wines: reference stats, manifest, pointer."""
    spec = load_dataset_spec(WINE, default_datasets_dir())
    write_reference_stats(lake, spec, VERSION, wine_frame("white"))
    manifest_key = layout.model_version_prefix(WINE, VERSION) + "manifest.json"
    manifest = {
        "version": VERSION,
        "created_at": "2026-11-30T20:01:01Z",
        "drift_reference": "reference_stats.json",
    }
    lake.write_bytes(manifest_key, json.dumps(manifest).encode())
    pointer = {"version": VERSION, "manifest": manifest_key}
    lake.write_bytes(layout.champion_key(WINE), json.dumps(pointer).encode())


def write_log(lake: LocalLake, day: str, name: str, features: pd.DataFrame) -> str:
    """A prediction-log file laid out as model-api writes it (meta columns, features, answer)."""
    rows = len(features)
    table = pa.table(
        {
            "timestamp": pa.array([datetime.now(UTC)] * rows, pa.timestamp("us", tz="UTC")),
            "request_id": pa.array([f"r{i}" for i in range(rows)], pa.string()),
            "model_version": pa.array([VERSION] * rows, pa.string()),
            **{
                column: pa.array(features[column].astype("string"), pa.string())
                if column == "wine_type"
                else pa.array(features[column].astype("float64"), pa.float64())
                for column in features.columns
                if column != "quality"
            },
            "prediction": pa.array([5.5] * rows, pa.float64()),
            "quality_rating": pa.array(["Average"] * rows, pa.string()),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    key = f"predictions/{WINE}/{day}/{name}.parquet"
    lake.write_bytes(key, buffer.getvalue())
    return key


def test_prediction_logs_drift_by_day(lake: LocalLake, capsys: pytest.CaptureFixture[str]) -> None:
    white = wine_frame("white").sample(n=1200, random_state=5).reset_index(drop=True)
    write_log(lake, "2026-11-29", "a-host.1-000001", white.iloc[:600])
    write_log(lake, "2026-11-29", "a-host.2-000001", white.iloc[600:])
    shifted = white.assign(alcohol=white["alcohol"] + 3)
    shifted.loc[: len(shifted) // 10, "wine_type"] = "rose"
    write_log(lake, "2026-11-30", "b-host.1-000001", shifted)
    lake.write_bytes(f"predictions/{WINE}/not-a-day/x.parquet", b"ignored")
    assert list(prediction_log_keys(lake, WINE)) == [
        datetime(2026, 11, 29, tzinfo=UTC).date(),
        datetime(2026, 11, 30, tzinfo=UTC).date(),
    ]

    day_keys = prediction_log_keys(lake, WINE)[datetime(2026, 11, 29, tzinfo=UTC).date()]
    capped = read_prediction_features(lake, day_keys, ["alcohol", "wine_type"], max_rows=100)
    assert len(capped) == 600 and list(capped.columns) == ["alcohol", "wine_type"]  # one file

    assert main(["drift", "--dataset", WINE, "--predictions"]) == 2
    assert "no champion" in capsys.readouterr().err
    make_champion(lake)

    assert main(["drift", "--dataset", WINE, "--predictions", "--date", "2026-11-29"]) == 0
    out = capsys.readouterr().out
    assert "batch predictions-2026-11-29 (1200 rows)" in out
    assert "no drift in 12 features" in out  # meta and answer columns are not features
    assert "report: reports/wine_quality/drift/predictions-2026-11-29/report.html" in out

    assert main(["drift", "--dataset", WINE, "--predictions", "--json"]) == 4  # newest day
    printed = json.loads(capsys.readouterr().out)
    assert printed["batch_id"] == "predictions-2026-11-30"
    assert printed["drifted_features"] == ["alcohol", "wine_type"]
    assert lake.exists("reports/wine_quality/drift/predictions-2026-11-30/report.html")
    latest = json.loads(lake.read_bytes("reports/wine_quality/drift/latest.json"))
    assert latest["batch_id"] == "predictions-2026-11-30" and latest["drifted"] is True


def test_prediction_log_usage_errors(lake: LocalLake, capsys: pytest.CaptureFixture[str]) -> None:
    make_champion(lake)
    assert main(["drift", "--dataset", WINE, "--predictions"]) == 2
    assert "no prediction logs for wine_quality under predictions/wine_quality/" in (
        capsys.readouterr().err
    )
    write_log(lake, "2026-11-29", "a", wine_frame("white").head(50))
    assert main(["drift", "--dataset", WINE, "--predictions", "--date", "2026-11-28"]) == 2
    assert "no prediction logs for wine_quality on 2026-11-28" in capsys.readouterr().err
    assert main(["drift", "--dataset", WINE, "--date", "2026-11-29"]) == 2
    assert "--date goes with --predictions" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["drift", "--dataset", WINE, "--predictions", "--date", "yesterday"])
    assert exited.value.code == 2
    assert "'yesterday' is not a date like 2026-11-30" in capsys.readouterr().err


def test_models_shows_the_latest_drift_status(
    lake: LocalLake, capsys: pytest.CaptureFixture[str]
) -> None:
    make_champion(lake)
    assert main(["models", "--dataset", WINE, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["drift"] is None
    assert main(["models", "--dataset", WINE]) == 0
    assert "latest drift check: none yet" in capsys.readouterr().out

    white = wine_frame("white").sample(n=800, random_state=6)
    write_log(lake, "2026-11-29", "same", white)
    assert main(["drift", "--dataset", WINE, "--predictions"]) == 0
    capsys.readouterr()
    assert main(["models", "--dataset", WINE]) == 0
    text = capsys.readouterr().out
    assert f" * {VERSION}" in text
    assert f"batch predictions-2026-11-29 vs {VERSION}: no drift" in text

    write_log(lake, "2026-11-30", "shifted", white.assign(alcohol=white["alcohol"] + 3))
    assert main(["drift", "--dataset", WINE, "--predictions"]) == 4
    capsys.readouterr()
    assert main(["models", "--dataset", WINE]) == 0
    assert "batch predictions-2026-11-30" in (text := capsys.readouterr().out)
    assert "DRIFT in alcohol (report: reports/wine_quality/drift/predictions-2026-11-30/" in text
    assert main(["models", "--dataset", WINE, "--json"]) == 0
    drift = json.loads(capsys.readouterr().out)["drift"]
    assert drift["drifted"] is True and drift["drifted_features"] == ["alcohol"]
    assert drift["batch_id"] == "predictions-2026-11-30" and drift["checked_at"]

    lake.write_bytes("reports/wine_quality/drift/latest.json", b"{broken")
    assert main(["models", "--dataset", WINE]) == 0
    assert "latest drift check: cannot read reports/wine_quality/drift/latest.json" in (
        capsys.readouterr().out
    )
