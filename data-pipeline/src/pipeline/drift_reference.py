"""Reference statistics of a training table: what a batch is compared with for drift.

Stored with each model version as `models/<dataset>/<version>/reference_stats.json` (the
manifest's `drift_reference`). Numeric features keep decile bin edges with the share of
rows in each bin (for the PSI), quantiles, mean and std, and a sorted random sample of up
to `SAMPLE_SIZE` values (for an exact two-sample KS test); categorical features keep their
category counts. JSON only: nothing in it can execute when loaded.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from pipeline.datasets import DatasetSpec

REFERENCE_SCHEMA_VERSION = 1
REFERENCE_FILE = "reference_stats.json"
SAMPLE_SIZE = 5_000
MAX_CATEGORIES = 200
QUANTILES = [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0]
DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
# Same split as the training table (features.py): datetime columns are not model inputs.
NUMERIC_TYPES = {"float", "integer", "boolean"}
CATEGORICAL_TYPES = {"category", "string"}

Kind = Literal["numeric", "categorical"]


class ReferenceStatsError(ValueError):
    """Reference statistics that this code cannot use (wrong schema or shape)."""


def feature_kinds(spec: DatasetSpec, columns: list[str]) -> dict[str, Kind]:
    """Model features of `spec` present in `columns`, numeric or categorical.

    Same split as the training table: datetime columns are not model inputs.
    """
    kinds: dict[str, Kind] = {}
    for name in spec.feature_names:
        if name not in columns:
            continue
        if spec.columns[name].type in NUMERIC_TYPES:
            kinds[name] = "numeric"
        elif spec.columns[name].type in CATEGORICAL_TYPES:
            kinds[name] = "categorical"
    return kinds


def numeric_values(values: pd.Series) -> np.ndarray:
    """A column as float64 with NaN for missing or unreadable values."""
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def category_labels(values: pd.Series) -> pd.Series:
    """A column as string labels with None for missing values."""
    # Category labels compared as strings: the curated Parquet and request JSON agree on those.
    return (
        values.astype("object")
        .where(values.notna(), None)
        .map(lambda v: None if v is None else str(v))
    )


def _numeric_reference(values: np.ndarray, rng: np.random.Generator) -> dict[str, Any]:
    present = values[~np.isnan(values)]
    stats: dict[str, Any] = {
        "kind": "numeric",
        "rows": int(values.size),
        "count": int(present.size),
        "null_share": float(1 - present.size / values.size) if values.size else 0.0,
    }
    if present.size == 0:
        return {**stats, "bin_edges": [], "bin_proportions": [], "sample": []}
    edges = np.unique(np.quantile(present, DECILES))
    counts = np.bincount(np.searchsorted(edges, present, side="left"), minlength=edges.size + 1)
    sample = present if present.size <= SAMPLE_SIZE else rng.choice(present, SAMPLE_SIZE, False)
    return {
        **stats,
        "mean": float(present.mean()),
        "std": float(present.std(ddof=1)) if present.size > 1 else 0.0,
        "quantiles": {"probs": QUANTILES, "values": np.quantile(present, QUANTILES).tolist()},
        # Interior edges: bin i holds values in (edges[i-1], edges[i]], the ends are open.
        "bin_edges": edges.tolist(),
        "bin_proportions": (counts / present.size).tolist(),
        "sample": np.sort(sample).tolist(),
    }


def _categorical_reference(labels: pd.Series) -> dict[str, Any]:
    present = labels.dropna()
    counts = present.value_counts()
    # Free-text or ID columns can hold a category per row: keep the most frequent ones and
    # one count for the rest, so the file stays small (the comparison reads it as "other").
    kept = counts.sort_values(ascending=False, kind="stable").iloc[:MAX_CATEGORIES].sort_index()
    return {
        "kind": "categorical",
        "rows": int(labels.size),
        "count": int(present.size),
        "null_share": float(1 - present.size / labels.size) if labels.size else 0.0,
        "counts": {str(k): int(v) for k, v in kept.items()},
        "frequencies": {str(k): float(v / present.size) for k, v in kept.items()},
        "other_count": int(present.size - kept.sum()),
    }


def compute_reference_stats(
    frame: pd.DataFrame, spec: DatasetSpec, *, seed: int = 42
) -> dict[str, Any]:
    """Reference statistics of a training table, JSON-able (`reference_stats.json`).

    Per numeric feature: count, null share, mean, std, quantiles, decile bin edges with the
    share of values in each bin, and a sorted random sample of up to `SAMPLE_SIZE` values
    (for an exact two-sample KS test). Per categorical feature: counts and frequencies.
    """
    rng = np.random.default_rng(seed)
    features: dict[str, Any] = {}
    for name, kind in feature_kinds(spec, [str(c) for c in frame.columns]).items():
        if kind == "numeric":
            features[name] = _numeric_reference(numeric_values(frame[name]), rng)
        else:
            features[name] = _categorical_reference(category_labels(frame[name]))
    return {
        "schema_version": REFERENCE_SCHEMA_VERSION,
        "dataset": spec.name,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "rows": len(frame),
        "sample_size": SAMPLE_SIZE,
        "seed": seed,
        "features": features,
    }


def reference_stats_json(frame: pd.DataFrame, spec: DatasetSpec) -> bytes:
    """`compute_reference_stats` serialised, ready for `lake.write_bytes`."""
    return json.dumps(compute_reference_stats(frame, spec), allow_nan=False).encode("utf-8")


def check_reference(reference: dict[str, Any]) -> dict[str, Any]:
    """Return `reference` if this code can read it, else raise ReferenceStatsError."""
    version = reference.get("schema_version")
    if version != REFERENCE_SCHEMA_VERSION or not isinstance(reference.get("features"), dict):
        raise ReferenceStatsError(
            f"reference statistics have schema_version {version!r}; this code reads "
            f"{REFERENCE_SCHEMA_VERSION} (retrain to write a fresh {REFERENCE_FILE})"
        )
    return reference
