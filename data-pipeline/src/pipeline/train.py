"""Train a dataset's model from its curated data, register the version, promote if better.

The served model is the one evaluated: it is fitted on the training part of a seeded,
stratified split of the deduplicated data and scored on the rest (the holdout), so no
scored row was seen in training. The same split also decides promotion: the champion is
scored on the new holdout rows and the new version must beat it there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from pipeline import registry
from pipeline.datasets import DatasetSpec
from pipeline.drift import REFERENCE_FILE, reference_stats_json
from pipeline.features import TrainingTable, build_pipeline, load_training_table
from pipeline.lake import Lake
from pipeline.manifest import build_manifest, utc_stamp, version_name
from pipeline.metrics import (
    HEADLINE_PROTOCOL,
    LEAKY_PROTOCOL,
    deduplicate,
    holdout_split,
    primary_metric,
    score,
)
from pipeline.model_export import forest_npz_bytes, onnx_bytes, skops_bytes
from pipeline.report import build_report
from pipeline.search import SearchOutcome, find_best_params
from pipeline.settings import PipelineSettings
from pipeline.tracking import log_training_run

logger = logging.getLogger(__name__)

FIT_JOBS = 2


@dataclass
class TrainResult:
    """What one training run produced and decided."""

    dataset: str
    version: str
    promoted: bool
    reason: str
    metrics: dict[str, Any]
    manifest_key: str
    params: dict[str, Any] = field(default_factory=dict)
    search_skipped: bool = False
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the CLI's --json output)."""
        return {
            "dataset": self.dataset,
            "version": self.version,
            "promoted": self.promoted,
            "reason": self.reason,
            "metrics": self.metrics,
            "manifest_key": self.manifest_key,
            "params": self.params,
            "search_skipped": self.search_skipped,
            "seconds": round(self.seconds, 2),
        }


def fit_forest(
    table: TrainingTable, train: pd.DataFrame, task: str, seed: int, params: dict[str, Any]
) -> Any:
    """Fit the Pipeline with `params` on `train`; the result predicts single-threaded."""
    pipeline = build_pipeline(task, table.numeric, table.categorical, seed, **params)
    pipeline.set_params(forest__n_jobs=FIT_JOBS)
    pipeline.fit(train[table.features], train[table.target])
    # Threads make single-row predictions several times slower; serving predicts rows.
    pipeline.set_params(forest__n_jobs=None)
    return pipeline


def _leaky_metrics(
    table: TrainingTable, task: str, seed: int, params: dict[str, Any]
) -> dict[str, Any]:
    train, holdout = holdout_split(table.frame, table.target, task, seed)
    pipeline = fit_forest(table, train, task, seed, params)
    found = score(
        task, holdout[table.target], pipeline.predict(holdout[table.features]), train[table.target]
    )
    return {**found, "protocol": LEAKY_PROTOCOL}


def _champion_score(
    lake: Lake, spec: DatasetSpec, holdout: pd.DataFrame, y_train: pd.Series
) -> tuple[str | None, float | None, str]:
    """The champion's version and primary score on the new holdout, or why there is none."""
    champion = registry.get_champion(lake, spec.name)
    if champion is None:
        return None, None, "no champion yet"
    version = str(champion["version"])
    try:
        manifest = registry.read_manifest(lake, spec.name, version)
        features = [f["name"] for f in manifest["features"]]
        missing = [name for name in features if name not in holdout.columns]
        if missing:
            return version, None, f"champion {version} needs columns the data lacks: {missing}"
        model = registry.load_reference_model(lake, spec.name, version)
        predicted = model.predict(holdout[features])
    except (registry.VersionNotFoundError, ValueError, KeyError) as error:
        return version, None, f"champion {version} cannot be scored: {error}"
    found = score(spec.task, holdout[spec.target], predicted, y_train)
    return version, float(found[primary_metric(spec.task)]), ""


def _decide(
    spec: DatasetSpec, new_score: float, champion: tuple[str | None, float | None, str], force: bool
) -> tuple[bool, str]:
    version, champion_score, why = champion
    label = "R2" if spec.task == "regression" else "macro F1"
    if version is None:
        return True, f"first model: {label} {new_score:.4f} (no champion yet)"
    if champion_score is None:
        return True, f"{label} {new_score:.4f}; {why}"
    compared = (
        f"{label} {new_score:.4f} vs champion {version} {champion_score:.4f} on the same holdout"
    )
    if force:
        return True, f"forced promotion: {compared}"
    if new_score > champion_score:
        return (
            True,
            f"{label} {new_score:.4f} beats champion {champion_score:.4f} on the same holdout",
        )
    return False, f"not promoted: {compared} (not better)"


def _free_version(
    lake: Lake, dataset: str, moment: datetime, data_sha256: str
) -> tuple[str, datetime]:
    # Two runs in the same second on the same data would collide: take the next second.
    while lake.exists(registry.manifest_key(dataset, version_name(moment, data_sha256))):
        moment += timedelta(seconds=1)
    return version_name(moment, data_sha256), moment


def train_dataset(
    lake: Lake,
    spec: DatasetSpec,
    settings: PipelineSettings,
    *,
    search_budget: int | None = None,
    force_promote: bool = False,
    search_space: Mapping[str, Sequence[Any]] | None = None,
) -> TrainResult:
    """Train on all curated data of `spec`, register a version, promote it when better.

    Args:
        lake: where curated data is read and the version is written.
        spec: the dataset declaration (target, task, columns, rating bands).
        settings: seed and default search budget.
        search_budget: candidates the search tries (default settings.search_budget).
        force_promote: promote even when the champion scores better.
        search_space: forest parameter lists to search (default search.DEFAULT_SPACE).

    Raises:
        features.NoTrainingDataError: nothing curated to train on.
    """
    started = time.perf_counter()
    seed = settings.random_seed
    table = load_training_table(lake, spec)
    unique, dropped = deduplicate(table.frame)
    logger.info(
        "removed %d exact duplicate rows of %s before the holdout split (%d rows left)",
        dropped,
        spec.name,
        len(unique),
    )
    train, holdout = holdout_split(unique, spec.target, spec.task, seed)
    search: SearchOutcome = find_best_params(
        lake,
        spec.name,
        table.sha256,
        train,
        task=spec.task,
        numeric=table.numeric,
        categorical=table.categorical,
        target=spec.target,
        budget=search_budget or settings.search_budget,
        seed=seed,
        space=search_space,
    )
    pipeline = fit_forest(table, train, spec.task, seed, search.params)
    holdout_scores = score(
        spec.task,
        holdout[spec.target],
        pipeline.predict(holdout[table.features]),
        train[spec.target],
    )
    metric = primary_metric(spec.task)
    metrics: dict[str, Any] = {
        "holdout": holdout_scores,
        "cv": {f"{metric}_mean": search.cv_mean, f"{metric}_std": search.cv_std, "folds": 3},
        "protocol": HEADLINE_PROTOCOL,
        "with_duplicates": _leaky_metrics(table, spec.task, seed, search.params),
        "duplicates_removed": dropped,
    }
    champion = _champion_score(lake, spec, holdout, train[spec.target])
    promoted, reason = _decide(spec, float(holdout_scores[metric]), champion, force_promote)
    moment = datetime.now(UTC).replace(microsecond=0)
    version, moment = _free_version(lake, spec.name, moment, table.sha256)
    artifacts = {
        "forest.npz": forest_npz_bytes(pipeline),
        "model.skops": skops_bytes(pipeline),
        "model.onnx": onnx_bytes(pipeline, table.numeric, table.categorical),
    }
    params = {**search.params, "random_state": seed}
    manifest = build_manifest(
        spec=spec,
        version=version,
        created_at=moment,
        pipeline=pipeline,
        frame=unique,
        numeric=table.numeric,
        categorical=table.categorical,
        artifacts=artifacts,
        metrics=metrics,
        params=params,
        training_data={"sha256": table.sha256, "rows": len(unique), "files": table.files},
        extra={"drift_reference": REFERENCE_FILE},
    )
    report = build_report(manifest, pipeline, holdout, table.features, seed)
    files = {
        **artifacts,
        REFERENCE_FILE: reference_stats_json(unique, spec),
        **{f"report/{name}": data for name, data in report.items()},
    }
    manifest_key = registry.write_version(lake, spec.name, version, files, manifest)
    if promoted:
        registry.promote(lake, spec.name, version, reason)
    else:
        logger.info("%s %s kept as a candidate: %s", spec.name, version, reason)
    seconds = time.perf_counter() - started
    registry.append_run(
        lake,
        spec.name,
        {
            "run_at": utc_stamp(datetime.now(UTC)),
            "version": version,
            "promoted": promoted,
            "reason": reason,
            "champion_before": champion[0],
            "champion_score": champion[1],
            "metrics": {"holdout": holdout_scores, "with_duplicates": metrics["with_duplicates"]},
            "params": params,
            "search_skipped": search.cached,
            "training_rows": len(unique),
            "duplicates_removed": dropped,
            "data_sha256": table.sha256,
            "seconds": round(seconds, 2),
        },
    )
    result = TrainResult(
        dataset=spec.name,
        version=version,
        promoted=promoted,
        reason=reason,
        metrics=metrics,
        manifest_key=manifest_key,
        params=params,
        search_skipped=search.cached,
        seconds=seconds,
    )
    # MLflow mirrors the lake when MLFLOW_TRACKING_URI is set; a failure there only warns.
    log_training_run(settings, result.to_dict(), manifest, files)
    return result
