"""Experiment tracking in MLflow, when `MLFLOW_TRACKING_URI` is set.

Each training run becomes an MLflow run in the experiment named after the dataset (params,
metrics, the training report and the model files as artifacts) and a version of the
registered model of the same name, tagged with the lake version. The `champion` alias
follows the lake's champion.json. Without `MLFLOW_TRACKING_URI` nothing happens: the lake's
`models/<dataset>/runs.jsonl` is the record. The lake stays the source of truth for
serving, so by default a tracking failure is logged as a warning and never fails training.

Re-logging the same lake version reuses its run and model version (retries duplicate
nothing).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.mlflow_rest import MlflowRestClient, TrackingError
from pipeline.settings import PipelineSettings

logger = logging.getLogger(__name__)

CHAMPION_ALIAS = "champion"
VERSION_TAG = "pipeline.version"
MODEL_VERSION_TAG = "lake_version"
MODEL_DIR = "model"
REPORT_DIR = "report"
BATCH = 100  # MLflow's limit of params (and tags) per log-batch call
MAX_PARAM_CHARS = 6000

Artifacts = Path | Sequence[Path] | Mapping[str, bytes]


@dataclass(frozen=True)
class TrackedRun:
    """Where a training run landed in MLflow."""

    experiment_id: str
    run_id: str
    model_name: str
    model_version: str
    champion: bool
    run_url: str


def _millis(stamp: str | None) -> int:
    if stamp:
        try:
            return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError:
            pass
    return int(datetime.now(UTC).timestamp() * 1000)


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif prefix:
        yield prefix, value


def metrics_of(manifest: Mapping[str, Any], train_result: Mapping[str, Any]) -> dict[str, float]:
    """Every finite number in the manifest's metrics (`holdout.r2`, `cv.r2_mean`...)."""
    found: dict[str, float] = {}
    for key, value in _flatten(manifest.get("metrics") or train_result.get("metrics") or {}):
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if numeric and math.isfinite(value):
            found[key] = float(value)
    if isinstance(train_result.get("seconds"), int | float):
        found["train_seconds"] = float(train_result["seconds"])
    return found


def params_of(manifest: Mapping[str, Any], train_result: Mapping[str, Any]) -> dict[str, str]:
    """Forest parameters plus the training data's lineage, as MLflow string params.

    A parameter set to None keeps it ("None": e.g. unlimited max_depth), as sklearn shows it.
    """
    params = dict(_flatten(manifest.get("params") or train_result.get("params") or {}))
    data = manifest.get("training_data") or {}
    for key in ("rows", "sha256"):
        if data.get(key) is not None:
            params[f"training_data.{key}"] = data[key]
    return {k: str(v)[:MAX_PARAM_CHARS] for k, v in params.items()}


def artifact_files(artifacts: Artifacts) -> dict[str, bytes]:
    """Artifact name -> bytes from a folder (recursive), a list of files, or a mapping."""
    if isinstance(artifacts, Mapping):
        return dict(artifacts)
    if isinstance(artifacts, Path):
        if not artifacts.is_dir():
            raise TrackingError(f"artifact folder {artifacts} does not exist")
        return {
            path.relative_to(artifacts).as_posix(): path.read_bytes()
            for path in sorted(artifacts.rglob("*"))
            if path.is_file()
        }
    return {path.name: path.read_bytes() for path in artifacts}


def _experiment_id(client: MlflowRestClient, name: str) -> str:
    try:
        found = client.call("GET", "experiments/get-by-name", params={"experiment_name": name})
        return str(found["experiment"]["experiment_id"])
    except TrackingError as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
    try:
        return str(client.call("POST", "experiments/create", body={"name": name})["experiment_id"])
    except TrackingError as error:  # created meanwhile by a concurrent run
        if error.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
        return _experiment_id(client, name)


def _find_run(client: MlflowRestClient, experiment_id: str, version: str) -> dict[str, Any] | None:
    body = {
        "experiment_ids": [experiment_id],
        # Only finished runs count: an attempt that died half-way is logged afresh.
        "filter": f"tags.`{VERSION_TAG}` = '{version}' and attributes.status = 'FINISHED'",
        "max_results": 1,
    }
    runs = client.call("POST", "runs/search", body=body).get("runs") or []
    return runs[0] if runs else None


def _log_run(
    client: MlflowRestClient,
    experiment_id: str,
    manifest: Mapping[str, Any],
    train_result: Mapping[str, Any],
    files: dict[str, bytes],
) -> dict[str, Any]:
    version = str(manifest["version"])
    tags = {
        VERSION_TAG: version,
        "pipeline.dataset": str(manifest["dataset"]),
        "pipeline.promoted": str(bool(train_result.get("promoted"))).lower(),
        "mlflow.note.content": str(train_result.get("reason") or ""),
        "mlflow.source.git.commit": str(manifest.get("git_commit") or ""),
    }
    body = {
        "experiment_id": experiment_id,
        "run_name": version,
        "start_time": _millis(manifest.get("created_at")),
        "tags": [{"key": k, "value": v} for k, v in tags.items() if v],
    }
    run: dict[str, Any] = client.call("POST", "runs/create", body=body)["run"]
    run_id = run["info"]["run_id"]
    now = _millis(None)
    metrics = [
        {"key": k, "value": v, "timestamp": now, "step": 0}
        for k, v in metrics_of(manifest, train_result).items()
    ]
    params = [{"key": k, "value": v} for k, v in params_of(manifest, train_result).items()]
    for start in range(0, max(len(params), len(metrics), 1), BATCH):
        batch = {"metrics": metrics[start : start + BATCH], "params": params[start : start + BATCH]}
        client.call("POST", "runs/log-batch", body={"run_id": run_id, **batch})
    artifact_uri = run["info"]["artifact_uri"]
    manifest_bytes = json.dumps(manifest, indent=2).encode()
    for name, data in {**files, "manifest.json": manifest_bytes}.items():
        folder = "" if name.startswith(f"{REPORT_DIR}/") else f"{MODEL_DIR}/"
        client.upload_artifact(artifact_uri, folder + name, data)
    client.call(
        "POST",
        "runs/update",
        body={"run_id": run_id, "status": "FINISHED", "end_time": _millis(None)},
    )
    return run


def _model_version(
    client: MlflowRestClient, name: str, version: str, run: Mapping[str, Any], reason: str
) -> str:
    try:
        client.call("POST", "registered-models/create", body={"name": name})
    except TrackingError as error:
        if error.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    existing = client.call(
        "GET",
        "model-versions/search",
        params={"filter": f"name='{name}' and tags.{MODEL_VERSION_TAG}='{version}'"},
    ).get("model_versions")
    if existing:
        return str(existing[0]["version"])
    body = {
        "name": name,
        "source": f"{run['info']['artifact_uri']}/{MODEL_DIR}",
        "run_id": run["info"]["run_id"],
        "description": reason,
        "tags": [{"key": MODEL_VERSION_TAG, "value": version}],
    }
    return str(client.call("POST", "model-versions/create", body=body)["model_version"]["version"])


def log_training_run(
    settings: PipelineSettings,
    train_result: Mapping[str, Any],
    manifest: Mapping[str, Any],
    artifacts: Artifacts,
    *,
    strict: bool = False,
) -> TrackedRun | None:
    """Log one training run to MLflow and register its version; None when tracking is off.

    Args:
        settings: `mlflow_tracking_uri` None means tracking is off (nothing is sent).
        train_result: `TrainResult.to_dict()` (promoted, reason, seconds).
        manifest: the version's manifest (dataset, version, params, metrics, lineage).
        artifacts: the version's files: a folder, a list of paths, or name -> bytes as the
            registry writes them (`report/...` names go to the run's report folder, the
            rest to `model/`).
        strict: raise TrackingError on failure instead of logging a warning.
    """
    if settings.mlflow_tracking_uri is None:
        logger.debug("MLFLOW_TRACKING_URI unset: the lake's runs log is the record")
        return None
    dataset, version = str(manifest["dataset"]), str(manifest["version"])
    client = MlflowRestClient(settings.mlflow_tracking_uri)
    try:
        experiment_id = _experiment_id(client, dataset)
        run = _find_run(client, experiment_id, version)
        if run is None:
            run = _log_run(client, experiment_id, manifest, train_result, artifact_files(artifacts))
        reason = str(train_result.get("reason") or "")
        model_version = _model_version(client, dataset, version, run, reason)
        promoted = bool(train_result.get("promoted"))
        if promoted:
            _set_alias(client, dataset, model_version)
    except (TrackingError, OSError) as error:
        if strict:
            raise
        logger.warning("MLflow tracking of %s %s skipped: %s", dataset, version, error)
        return None
    finally:
        client.close()
    run_id = str(run["info"]["run_id"])
    tracked = TrackedRun(
        experiment_id=experiment_id,
        run_id=run_id,
        model_name=dataset,
        model_version=model_version,
        champion=promoted,
        run_url=f"{settings.mlflow_tracking_uri}/#/experiments/{experiment_id}/runs/{run_id}",
    )
    logger.info(
        "MLflow: %s %s logged as run %s, model version %s%s",
        dataset,
        version,
        run_id,
        model_version,
        " (alias champion)" if promoted else "",
    )
    return tracked


def _set_alias(client: MlflowRestClient, name: str, model_version: str) -> None:
    body = {"name": name, "alias": CHAMPION_ALIAS, "version": model_version}
    client.call("POST", "registered-models/alias", body=body)


def mirror_champion(
    settings: PipelineSettings, dataset: str, version: str, *, strict: bool = False
) -> str | None:
    """Point MLflow's `champion` alias at the model version of lake `version`.

    For promote and rollback outside training. Returns the MLflow model version, or None
    when tracking is off, the version was never logged there, or the call failed (warned).
    """
    if settings.mlflow_tracking_uri is None:
        return None
    client = MlflowRestClient(settings.mlflow_tracking_uri)
    try:
        found = client.call(
            "GET",
            "model-versions/search",
            params={"filter": f"name='{dataset}' and tags.{MODEL_VERSION_TAG}='{version}'"},
        ).get("model_versions")
        if not found:
            logger.warning(
                "MLflow has no model version for %s %s; alias unchanged", dataset, version
            )
            return None
        model_version = str(found[0]["version"])
        _set_alias(client, dataset, model_version)
    except TrackingError as error:
        if strict:
            raise
        logger.warning("MLflow champion alias for %s %s not set: %s", dataset, version, error)
        return None
    finally:
        client.close()
    logger.info("MLflow: %s alias champion -> version %s (%s)", dataset, model_version, version)
    return model_version
