"""Data drift: reference statistics of a training table, and a batch compared with them.

Numeric features get a population stability index (PSI) over the reference's decile bins
plus a two-sample Kolmogorov-Smirnov test against a bounded random sample of the training
values; categorical features get a PSI over categories plus a chi-squared test of the
category counts (categories never seen in training included). Missing values are a bin of
their own in every PSI, so a feature that goes empty drifts too.

A feature drifts when its PSI exceeds the dataset's `drift_threshold` (only trusted from
`MIN_ROWS_FOR_PSI` rows up: on tiny batches the PSI is mostly sampling noise) or when its
test's p-value is below `DRIFT_P_VALUE` (1e-4: with about a dozen features, a batch drawn
from the training distribution raises a false alarm about once in a thousand checks).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from pipeline.datasets import DatasetSpec

logger = logging.getLogger(__name__)

REFERENCE_SCHEMA_VERSION = 1
REFERENCE_FILE = "reference_stats.json"
SAMPLE_SIZE = 5_000
DRIFT_P_VALUE = 1e-4
MIN_ROWS_FOR_PSI = 200
PSI_FLOOR = 1e-4
QUANTILES = [0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0]
DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
PLOT_BINS = 30
NUMERIC_TYPES = {"float", "integer", "boolean"}
CATEGORICAL_TYPES = {"category", "string"}
NULL_LABEL = "(missing)"

Kind = Literal["numeric", "categorical"]


class ReferenceStatsError(ValueError):
    """Reference statistics that this code cannot use (wrong schema or shape)."""


@dataclass(frozen=True)
class FeatureDrift:
    """How one feature of a batch compares with the reference."""

    name: str
    kind: Kind
    psi: float
    test: Literal["ks", "chi2"]
    statistic: float | None
    p_value: float | None
    drifted: bool
    reasons: list[str]
    reference_rows: int
    batch_rows: int
    reference_null_share: float
    batch_null_share: float
    unseen_categories: list[str] = field(default_factory=list)
    # What the report plots: bin labels/edges and both sides' proportions.
    plot: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DriftResult:
    """Every feature of one batch compared with a model version's reference statistics."""

    dataset: str
    reference_version: str | None
    batch_id: str
    batch_rows: int
    reference_rows: int
    threshold: float
    p_value_threshold: float
    checked_at: str
    features: list[FeatureDrift]
    report_key: str | None = None

    @property
    def drifted_features(self) -> list[str]:
        """Names of the features that drifted, in reference order."""
        return [feature.name for feature in self.features if feature.drifted]

    @property
    def drifted(self) -> bool:
        """True when at least one feature drifted."""
        return bool(self.drifted_features)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able copy (what drift.json holds)."""
        data = asdict(self)
        data["drifted"] = self.drifted
        data["drifted_features"] = self.drifted_features
        data["summary"] = self.summary()
        return data

    def summary(self) -> str:
        """One line for the task log: verdict, then each drifted feature and why."""
        head = f"drift check {self.dataset} batch {self.batch_id} ({self.batch_rows} rows)"
        head += f" vs {self.reference_version or 'reference'}"
        if not self.drifted:
            worst = max(self.features, key=lambda f: f.psi, default=None)
            detail = f", max PSI {worst.psi:.3f} ({worst.name})" if worst else ""
            return f"{head}: no drift in {len(self.features)} features{detail}"
        parts = [f"{f.name} ({'; '.join(f.reasons)})" for f in self.features if f.drifted]
        count = f"{len(parts)} of {len(self.features)} features"
        return f"{head}: DRIFT in {count}: {', '.join(parts)}"


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


def _numeric(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _labels(values: pd.Series) -> pd.Series:
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
    counts = present.value_counts().sort_index()
    return {
        "kind": "categorical",
        "rows": int(labels.size),
        "count": int(present.size),
        "null_share": float(1 - present.size / labels.size) if labels.size else 0.0,
        "counts": {str(k): int(v) for k, v in counts.items()},
        "frequencies": {str(k): float(v / present.size) for k, v in counts.items()},
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
            features[name] = _numeric_reference(_numeric(frame[name]), rng)
        else:
            features[name] = _categorical_reference(_labels(frame[name]))
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


def psi(reference: np.ndarray, batch: np.ndarray) -> float:
    """Population stability index of two proportion vectors over the same bins.

    Empty bins are floored at `PSI_FLOOR` so an unseen bin counts heavily but finitely.
    """
    ref = np.clip(reference, PSI_FLOOR, None)
    new = np.clip(batch, PSI_FLOOR, None)
    return float(np.sum((new - ref) * np.log(new / ref)))


def _verdict(
    value: float, p_value: float | None, rows: int, threshold: float, test: str
) -> list[str]:
    reasons: list[str] = []
    if value > threshold and rows >= MIN_ROWS_FOR_PSI:
        reasons.append(f"PSI {value:.2f} > {threshold:g}")
    if p_value is not None and p_value < DRIFT_P_VALUE:
        reasons.append(f"{test} p={p_value:.1e}")
    return reasons


def _compare_numeric(
    name: str, ref: dict[str, Any], values: np.ndarray, threshold: float
) -> FeatureDrift:
    from scipy import stats

    present = values[~np.isnan(values)]
    batch_null = float(1 - present.size / values.size) if values.size else 0.0
    edges = np.asarray(ref["bin_edges"], dtype="float64")
    ref_props = np.append(
        np.asarray(ref["bin_proportions"]) * (1 - ref["null_share"]), ref["null_share"]
    )
    counts = np.bincount(np.searchsorted(edges, present, side="left"), minlength=edges.size + 1)
    batch_props = np.append(counts / max(values.size, 1), batch_null)
    value = psi(ref_props, batch_props)
    sample = np.asarray(ref["sample"], dtype="float64")
    statistic = p_value = None
    if present.size and sample.size:
        test = stats.ks_2samp(sample, present)
        statistic, p_value = float(test.statistic), float(test.pvalue)
    reasons = _verdict(value, p_value, values.size, threshold, "KS")
    return FeatureDrift(
        name=name,
        kind="numeric",
        psi=value,
        test="ks",
        statistic=statistic,
        p_value=p_value,
        drifted=bool(reasons),
        reasons=reasons,
        reference_rows=int(ref["count"]),
        batch_rows=int(values.size),
        reference_null_share=float(ref["null_share"]),
        batch_null_share=batch_null,
        plot=_numeric_plot(sample, present),
    )


def _numeric_plot(sample: np.ndarray, present: np.ndarray) -> dict[str, Any]:
    both = np.concatenate([sample, present])
    if both.size == 0:
        return {}
    low, high = np.quantile(both, [0.005, 0.995])
    if high <= low:
        low, high = float(both.min()) - 0.5, float(both.max()) + 0.5
    edges = np.linspace(low, high, PLOT_BINS + 1)

    def shares(values: np.ndarray) -> list[float]:
        counts, _ = np.histogram(np.clip(values, low, high), bins=edges)
        return [float(share) for share in counts / max(values.size, 1)]

    return {"edges": edges.tolist(), "reference": shares(sample), "batch": shares(present)}


def _compare_categorical(
    name: str, ref: dict[str, Any], labels: pd.Series, threshold: float
) -> FeatureDrift:
    from scipy import stats

    present = labels.dropna()
    batch_counts = {str(k): int(v) for k, v in present.value_counts().items()}
    ref_counts: dict[str, int] = {str(k): int(v) for k, v in ref["counts"].items()}
    known = sorted(ref_counts)
    unseen = sorted(set(batch_counts) - set(ref_counts))
    categories = [*known, *unseen]
    ref_nulls = int(ref["rows"]) - int(ref["count"])
    ref_row = [ref_counts.get(c, 0) for c in categories] + [ref_nulls]
    batch_row = [batch_counts.get(c, 0) for c in categories] + [int(labels.isna().sum())]
    table = np.array([ref_row, batch_row], dtype="float64")
    table = table[:, table.sum(axis=0) > 0]
    statistic = p_value = None
    if table.shape[1] > 1 and table[1].sum() > 0 and table[0].sum() > 0:
        test = stats.chi2_contingency(table, correction=False)
        statistic, p_value = float(test.statistic), float(test.pvalue)
    ref_props = np.array(ref_row) / max(sum(ref_row), 1)
    batch_props = np.array(batch_row) / max(sum(batch_row), 1)
    value = psi(ref_props, batch_props)
    reasons = _verdict(value, p_value, labels.size, threshold, "chi2")
    if unseen:
        reasons.append("unseen: " + ", ".join(unseen[:5]) + (" ..." if len(unseen) > 5 else ""))
    return FeatureDrift(
        name=name,
        kind="categorical",
        psi=value,
        test="chi2",
        statistic=statistic,
        p_value=p_value,
        drifted=bool(reasons),
        reasons=reasons,
        reference_rows=int(ref["count"]),
        batch_rows=int(labels.size),
        reference_null_share=float(ref["null_share"]),
        batch_null_share=float(labels.isna().mean()) if labels.size else 0.0,
        unseen_categories=unseen,
        plot={
            "categories": [*categories, NULL_LABEL],
            "reference": ref_props.tolist(),
            "batch": batch_props.tolist(),
        },
    )


def check_reference(reference: dict[str, Any]) -> dict[str, Any]:
    """Return `reference` if this code can read it, else raise ReferenceStatsError."""
    version = reference.get("schema_version")
    if version != REFERENCE_SCHEMA_VERSION or not isinstance(reference.get("features"), dict):
        raise ReferenceStatsError(
            f"reference statistics have schema_version {version!r}; this code reads "
            f"{REFERENCE_SCHEMA_VERSION} (retrain to write a fresh {REFERENCE_FILE})"
        )
    return reference


def compare_to_reference(
    batch: pd.DataFrame,
    reference: dict[str, Any],
    spec: DatasetSpec,
    *,
    batch_id: str = "batch",
    reference_version: str | None = None,
) -> DriftResult:
    """Compare every reference feature of `batch` with the reference statistics.

    A feature missing from the batch counts as all-missing (and so drifts). Extra batch
    columns are ignored. The verdict per feature is explained in the module docstring.
    """
    check_reference(reference)
    features: list[FeatureDrift] = []
    for name, ref in reference["features"].items():
        column = batch[name] if name in batch.columns else pd.Series([None] * len(batch))
        if ref["kind"] == "numeric":
            features.append(_compare_numeric(name, ref, _numeric(column), spec.drift_threshold))
        else:
            features.append(_compare_categorical(name, ref, _labels(column), spec.drift_threshold))
    return DriftResult(
        dataset=spec.name,
        reference_version=reference_version,
        batch_id=batch_id,
        batch_rows=len(batch),
        reference_rows=int(reference.get("rows", 0)),
        threshold=spec.drift_threshold,
        p_value_threshold=DRIFT_P_VALUE,
        checked_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        features=features,
    )
