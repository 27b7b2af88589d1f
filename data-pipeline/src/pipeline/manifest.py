"""manifest.json of a model version (schema_version 1, docs/MODEL_FORMAT.md)."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.datasets import DatasetSpec
from pipeline.validate_messages import json_safe

SCHEMA_VERSION = 1
_LIBRARIES = ["scikit-learn", "numpy", "pandas", "skops", "skl2onnx", "onnx", "great-expectations"]


def utc_stamp(moment: datetime) -> str:
    """`2026-11-30T20:01:01Z` (second precision, UTC)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def version_name(moment: datetime, data_sha256: str) -> str:
    """`v<YYYYMMDD>T<HHMMSS>Z-<8 hex of the training data hash>`: sorts by time."""
    return f"v{moment.strftime('%Y%m%dT%H%M%SZ')}-{data_sha256[:8]}"


def git_commit() -> str | None:
    """HEAD of the checkout this code runs from, else $PIPELINE_GIT_COMMIT, else None."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        found = None
    if found is not None and found.returncode == 0 and found.stdout.strip():
        return found.stdout.strip()
    return os.environ.get("PIPELINE_GIT_COMMIT") or None


def library_versions() -> dict[str, str]:
    """Python and the libraries that shape the model's bytes and numbers."""
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _preprocessing(pipeline: Any, numeric: list[str], categorical: list[str]) -> dict[str, Any]:
    transformers = pipeline.steps[0][1].named_transformers_
    numeric_part = []
    if numeric:
        medians = transformers["numeric"].statistics_
        numeric_part = [
            {"name": name, "impute": float(value)}
            for name, value in zip(numeric, medians, strict=True)
        ]
    categorical_part = []
    if categorical:
        imputer = transformers["categorical"].named_steps["impute"]
        encoder = transformers["categorical"].named_steps["onehot"]
        categorical_part = [
            {
                "name": name,
                "categories": [str(c) for c in categories],
                "impute": str(mode),
            }
            for name, categories, mode in zip(
                categorical, encoder.categories_, imputer.statistics_, strict=True
            )
        ]
    return {"numeric": numeric_part, "categorical": categorical_part}


def _features(
    frame: pd.DataFrame, spec: DatasetSpec, numeric: list[str], categorical: list[str]
) -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = []
    for name in numeric:
        values = frame[name]
        features.append(
            {
                "name": name,
                "type": "number",
                "min": json_safe(values.min()),
                "max": json_safe(values.max()),
                "nullable": bool(spec.columns[name].nullable or values.isna().any()),
            }
        )
    for name in categorical:
        values = frame[name]
        observed = sorted(str(v) for v in values.dropna().unique())
        features.append(
            {
                "name": name,
                "type": "category",
                "categories": observed,
                "nullable": bool(spec.columns[name].nullable or values.isna().any()),
            }
        )
    return features


def _example(frame: pd.DataFrame, features: list[str]) -> dict[str, Any]:
    complete = frame[features].dropna()
    row = complete.iloc[0] if len(complete) else frame[features].iloc[0]
    return {name: json_safe(row[name]) for name in features}


def build_manifest(
    *,
    spec: DatasetSpec,
    version: str,
    created_at: datetime,
    pipeline: Any,
    frame: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    artifacts: dict[str, bytes],
    metrics: dict[str, Any],
    params: dict[str, Any],
    training_data: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of a version, exactly the fields docs/MODEL_FORMAT.md lists.

    `frame` is the deduplicated training table (features' observed ranges come from it);
    `artifacts` maps file name (forest.npz, model.skops, model.onnx) to its bytes.
    """
    forest = pipeline.steps[-1][1]
    classes = [json_safe(c) for c in forest.classes_] if hasattr(forest, "classes_") else None
    names = {"forest.npz": "forest", "model.skops": "skops", "model.onnx": "onnx"}
    manifest: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "dataset": spec.name,
        "version": version,
        "created_at": utc_stamp(created_at),
        "task": spec.task,
        "target": spec.target,
        "features": _features(frame, spec, numeric, categorical),
        "classes": classes,
        "rating_bands": [band.model_dump() for band in spec.rating_bands],
        "example": _example(frame, [*numeric, *categorical]),
        "preprocessing": _preprocessing(pipeline, numeric, categorical),
        "artifacts": {
            names[file]: {
                "path": file,
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
            }
            for file, data in artifacts.items()
        },
        "metrics": json_safe(metrics),
        "params": json_safe(params),
        "training_data": json_safe(training_data),
        "library_versions": library_versions(),
        "git_commit": git_commit(),
    }
    manifest.update(extra or {})
    return manifest


def design_matrix(manifest: dict[str, Any], frame: pd.DataFrame) -> np.ndarray:
    """The trees' input built from the manifest's preprocessing alone (MODEL_FORMAT.md)."""
    preprocessing = manifest["preprocessing"]
    columns: list[np.ndarray] = []
    for item in preprocessing["numeric"]:
        values = pd.to_numeric(frame[item["name"]], errors="coerce").astype("float64")
        columns.append(values.fillna(item["impute"]).to_numpy())
    for item in preprocessing["categorical"]:
        values = frame[item["name"]].astype("object")
        values = values.where(values.notna(), item["impute"]).astype(str)
        columns.extend(
            (values == category).to_numpy(dtype=np.float64) for category in item["categories"]
        )
    return np.column_stack(columns) if columns else np.empty((len(frame), 0))
