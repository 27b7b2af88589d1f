"""Tracking switched off, bad servers, and what gets logged (no MLflow server needed)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.mlflow_rest import TrackingError
from pipeline.settings import PipelineSettings
from pipeline.tracking import artifact_files, log_training_run, metrics_of, params_of

pytestmark = [pytest.mark.unit]

MANIFEST = {
    "dataset": "wine_quality",
    "version": "v20261130T200101Z-1a2b3c4d",
    "metrics": {
        "holdout": {"r2": 0.47, "mae": float("nan")},
        "protocol": "deduplicated holdout",
        "duplicates_removed": 1177,
    },
    "params": {"n_estimators": 300, "max_features": None},
    "training_data": {"rows": 5320, "sha256": "ab" * 32},
}


@pytest.fixture
def not_mlflow(tmp_path: Path) -> Iterator[str]:
    """A plain static file server on loopback: MLFLOW_TRACKING_URI pointing at the wrong thing."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_unset_uri_means_no_tracking() -> None:
    settings = PipelineSettings(MLFLOW_TRACKING_URI="")
    assert settings.mlflow_tracking_uri is None
    assert log_training_run(settings, {"promoted": True}, MANIFEST, {}) is None


def test_uri_must_be_an_http_server() -> None:
    with pytest.raises(ValueError, match="http"):
        PipelineSettings(MLFLOW_TRACKING_URI="databricks")


def test_wrong_server_warns_by_default_and_raises_when_strict(
    not_mlflow: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = PipelineSettings(MLFLOW_TRACKING_URI=not_mlflow)
    with caplog.at_level(logging.WARNING, logger="pipeline.tracking"):
        assert log_training_run(settings, {"promoted": True}, MANIFEST, {}) is None
    assert "MLflow tracking of wine_quality v20261130T200101Z-1a2b3c4d skipped" in caplog.text
    with pytest.raises(TrackingError, match="HTTP 404"):
        log_training_run(settings, {"promoted": True}, MANIFEST, {}, strict=True)


def test_metrics_are_the_finite_numbers_flattened() -> None:
    found = metrics_of(MANIFEST, {"seconds": 3.5})
    assert found == {"holdout.r2": 0.47, "duplicates_removed": 1177.0, "train_seconds": 3.5}


def test_params_carry_lineage_and_keep_none_settings() -> None:
    assert params_of(MANIFEST, {}) == {
        "n_estimators": "300",
        "max_features": "None",
        "training_data.rows": "5320",
        "training_data.sha256": "ab" * 32,
    }


def test_artifacts_from_a_folder_keep_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "report").mkdir()
    (tmp_path / "model.onnx").write_bytes(b"o")
    (tmp_path / "report" / "index.html").write_bytes(b"h")
    assert artifact_files(tmp_path) == {"model.onnx": b"o", "report/index.html": b"h"}
    assert artifact_files([tmp_path / "model.onnx"]) == {"model.onnx": b"o"}
    with pytest.raises(TrackingError, match="does not exist"):
        artifact_files(tmp_path / "missing")
