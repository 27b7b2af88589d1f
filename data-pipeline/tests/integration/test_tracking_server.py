"""MLflow tracking against a real tracking server on loopback (SQLite store, proxied artifacts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from pipeline import registry
from pipeline.cli import main
from pipeline.datasets import load_dataset_spec
from pipeline.lake import LocalLake
from pipeline.settings import PipelineSettings, default_datasets_dir, get_settings
from pipeline.tracking import log_training_run, mirror_champion
from pipeline.train import train_dataset
from wine_lake import FAST_SPACE, wine_frame, write_curated

pytestmark = [pytest.mark.mlflow]

DATASET = "wine_quality"


def manifest_for(version: str, r2: float, dataset: str = DATASET) -> dict[str, Any]:
    """A manifest with the fields MODEL_FORMAT.md defines that tracking reads."""
    return {
        "schema_version": 1,
        "dataset": dataset,
        "version": version,
        "created_at": "2026-11-30T20:01:01Z",
        "task": "regression",
        "metrics": {
            "holdout": {"r2": r2, "mae": 0.5, "rmse": 0.66},
            "cv": {"r2_mean": r2 - 0.02, "r2_std": 0.02, "folds": 3},
            "protocol": "deduplicated holdout",
        },
        "params": {"n_estimators": 300, "max_features": 0.5, "random_state": 42},
        "training_data": {"sha256": "ab" * 32, "rows": 5320, "files": []},
        "git_commit": "0123456789abcdef0123456789abcdef01234567",
        "drift_reference": "reference_stats.json",
    }


class Mlflow:
    """Reads what the server stored, with plain HTTP (independent of the code under test)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, endpoint: str, **params: str) -> dict[str, Any]:
        response = requests.get(f"{self.url}/api/2.0/mlflow/{endpoint}", params=params, timeout=30)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def post(self, endpoint: str, **body: Any) -> dict[str, Any]:
        response = requests.post(f"{self.url}/api/2.0/mlflow/{endpoint}", json=body, timeout=30)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def artifact(self, run: dict[str, Any], path: str) -> bytes:
        root = run["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
        response = requests.get(
            f"{self.url}/api/2.0/mlflow-artifacts/artifacts/{root}/{path}", timeout=30
        )
        response.raise_for_status()
        return response.content

    def champion(self, name: str = DATASET) -> str:
        found = self.get("registered-models/alias", name=name, alias="champion")
        return str(found["model_version"]["version"])


def test_training_runs_land_in_mlflow_with_versions_and_the_champion_alias(
    mlflow_server: str, tmp_path: Path
) -> None:
    settings = PipelineSettings(MLFLOW_TRACKING_URI=mlflow_server)
    server = Mlflow(mlflow_server)
    files = {
        "forest.npz": b"forest-bytes",
        "model.onnx": b"onnx-bytes",
        "reference_stats.json": b"{}",
        "report/index.html": b"<html>report</html>",
    }
    first = log_training_run(
        settings,
        {"promoted": True, "reason": "first model", "seconds": 12.5},
        manifest_for("v20261130T200101Z-1a2b3c4d", 0.47),
        files,
        strict=True,
    )
    assert first is not None and first.champion

    run = server.get("runs/get", run_id=first.run_id)["run"]
    assert run["info"]["status"] == "FINISHED"
    assert run["info"]["run_name"] == "v20261130T200101Z-1a2b3c4d"
    metrics = {m["key"]: m["value"] for m in run["data"]["metrics"]}
    assert metrics["holdout.r2"] == pytest.approx(0.47)
    assert metrics["cv.r2_std"] == pytest.approx(0.02)
    assert metrics["train_seconds"] == pytest.approx(12.5)
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert params["n_estimators"] == "300"
    assert params["training_data.rows"] == "5320"
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["mlflow.note.content"] == "first model"
    assert server.artifact(run, "model/forest.npz") == b"forest-bytes"
    assert server.artifact(run, "report/index.html") == b"<html>report</html>"
    stored = json.loads(server.artifact(run, "model/manifest.json"))
    assert stored["version"] == "v20261130T200101Z-1a2b3c4d"

    version = server.get("model-versions/get", name=DATASET, version=first.model_version)
    assert version["model_version"]["run_id"] == first.run_id
    assert server.champion() == first.model_version

    # A candidate that loses: registered, but the alias stays on the champion.
    folder = tmp_path / "v2"
    (folder / "report").mkdir(parents=True)
    (folder / "forest.npz").write_bytes(b"second-forest")
    (folder / "report" / "index.html").write_bytes(b"<html>2</html>")
    second = log_training_run(
        settings,
        {"promoted": False, "reason": "not better"},
        manifest_for("v20261130T210101Z-5e6f7a8b", 0.40),
        folder,
        strict=True,
    )
    assert second is not None and not second.champion
    assert second.model_version != first.model_version
    assert server.champion() == first.model_version
    second_run = server.get("runs/get", run_id=second.run_id)["run"]
    assert server.artifact(second_run, "model/forest.npz") == b"second-forest"

    # Promote (or roll back) outside training: the alias follows the lake's champion.
    assert mirror_champion(settings, DATASET, "v20261130T210101Z-5e6f7a8b") == second.model_version
    assert server.champion() == second.model_version

    # Logging the same lake version again duplicates nothing.
    again = log_training_run(
        settings,
        {"promoted": True, "reason": "first model"},
        manifest_for("v20261130T200101Z-1a2b3c4d", 0.47),
        files,
        strict=True,
    )
    assert again is not None
    assert (again.run_id, again.model_version) == (first.run_id, first.model_version)
    assert server.champion() == first.model_version
    same = f"name='{DATASET}' and tags.lake_version='v20261130T200101Z-1a2b3c4d'"
    assert len(server.get("model-versions/search", filter=same)["model_versions"]) == 1
    runs = server.post("runs/search", experiment_ids=[first.experiment_id])["runs"]
    assert sum(r["info"]["run_name"] == "v20261130T200101Z-1a2b3c4d" for r in runs) == 1


def test_a_real_training_run_is_tracked_with_the_lake_artifacts(
    mlflow_server: str, tmp_path: Path
) -> None:
    lake = LocalLake(tmp_path)
    # A slice of the red wines keeps the training part of this test to a few seconds.
    write_curated(lake, wine_frame("red").iloc[:600], "part-red")
    settings = PipelineSettings(LAKE_URL=lake.url, MLFLOW_TRACKING_URI=mlflow_server)
    spec = load_dataset_spec(DATASET, default_datasets_dir())
    result = train_dataset(lake, spec, settings, search_budget=2, search_space=FAST_SPACE)
    assert result.promoted

    server = Mlflow(mlflow_server)
    found = server.get(
        "model-versions/search", filter=f"name='{DATASET}' and tags.lake_version='{result.version}'"
    )["model_versions"]
    assert len(found) == 1 and server.champion() == found[0]["version"]
    run = server.get("runs/get", run_id=found[0]["run_id"])["run"]
    manifest = json.loads(lake.read_bytes(result.manifest_key))
    prefix = result.manifest_key.removesuffix("manifest.json")
    for name in ("forest.npz", "model.onnx", "reference_stats.json"):
        assert server.artifact(run, f"model/{name}") == lake.read_bytes(prefix + name)
    assert json.loads(server.artifact(run, "model/manifest.json")) == manifest
    metrics = {m["key"]: m["value"] for m in run["data"]["metrics"]}
    assert metrics["holdout.r2"] == pytest.approx(manifest["metrics"]["holdout"]["r2"])
    report_files = [info.key for info in lake.list(prefix + "report/")]
    assert report_files, "training wrote no report"
    for key in report_files:
        assert server.artifact(run, "report/" + key.removeprefix(prefix + "report/")) == (
            lake.read_bytes(key)
        )


def test_promote_and_rollback_commands_move_the_mlflow_alias(
    mlflow_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = "cli_wine"  # its own registered model: independent of the other tests
    lake = LocalLake(tmp_path)
    settings = PipelineSettings(LAKE_URL=lake.url, MLFLOW_TRACKING_URI=mlflow_server)
    tracked = {}
    for version in ("v20261201T080000Z-11111111", "v20261201T090000Z-22222222"):
        manifest = manifest_for(version, 0.4, dataset)
        registry.write_version(lake, dataset, version, {}, manifest)
        logged = log_training_run(settings, {"promoted": False}, manifest, {}, strict=True)
        assert logged is not None
        tracked[version] = logged.model_version
    first, second = tracked
    monkeypatch.setenv("LAKE_URL", lake.url)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server)
    get_settings.cache_clear()
    server = Mlflow(mlflow_server)
    try:
        assert main(["promote", "--dataset", dataset, "--version", first]) == 0
        assert server.champion(dataset) == tracked[first]
        assert main(["promote", "--dataset", dataset, "--version", second]) == 0
        assert server.champion(dataset) == tracked[second]
        assert main(["rollback", "--dataset", dataset]) == 0
        assert server.champion(dataset) == tracked[first]
    finally:
        get_settings.cache_clear()
