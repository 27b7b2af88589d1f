"""Data drift: a batch compared with a model version's reference statistics.

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

import logging
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from pipeline.datasets import DatasetSpec

# Re-exported: callers import the whole drift API from here.
from pipeline.drift_reference import (
    REFERENCE_FILE,
    SAMPLE_SIZE,
    Kind,
    ReferenceStatsError,
    category_labels,
    check_reference,
    compute_reference_stats,
    numeric_values,
    reference_stats_json,
)

__all__ = [
    "REFERENCE_FILE",
    "SAMPLE_SIZE",
    "DriftResult",
    "FeatureDrift",
    "ReferenceStatsError",
    "compare_to_reference",
    "compute_reference_stats",
    "format_p_value",
    "psi",
    "reference_stats_json",
]

logger = logging.getLogger(__name__)

DRIFT_P_VALUE = 1e-4
MIN_ROWS_FOR_PSI = 200
PSI_FLOOR = 1e-4
PLOT_BINS = 30
NULL_LABEL = "(missing)"
OTHER_LABEL = "(other)"
PLOT_CATEGORIES = 12
MAX_LISTED = 50


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


def psi(reference: np.ndarray, batch: np.ndarray) -> float:
    """Population stability index of two proportion vectors over the same bins.

    Empty bins are floored at `PSI_FLOOR` so an unseen bin counts heavily but finitely.
    """
    ref = np.clip(reference, PSI_FLOOR, None)
    new = np.clip(batch, PSI_FLOOR, None)
    return float(np.sum((new - ref) * np.log(new / ref)))


def format_p_value(p_value: float | None) -> str:
    """`0.42`, `3.1e-05`, or `<1e-300` when the test's p-value underflows to zero."""
    if p_value is None:
        return "-"
    if p_value == 0:
        return "<1e-300"
    return f"{p_value:.1e}" if p_value < 1e-3 else f"{p_value:.3f}"


def _verdict(
    value: float, p_value: float | None, rows: int, threshold: float, test: str
) -> list[str]:
    reasons: list[str] = []
    if value > threshold and rows >= MIN_ROWS_FOR_PSI:
        reasons.append(f"PSI {value:.2f} > {threshold:g}")
    if p_value is not None and p_value < DRIFT_P_VALUE:
        shown = format_p_value(p_value)
        reasons.append(f"{test} p{'' if shown.startswith('<') else '='}{shown}")
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
    # An empty batch carries no evidence: PSI 0, not the artefact of the empty-bin floors.
    value = psi(ref_props, batch_props) if values.size else 0.0
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
    ref_other = int(ref.get("other_count", 0))
    new = sorted(set(batch_counts) - set(ref_counts))
    # A truncated reference cannot tell a rare training category from a new one: both
    # count as "other" then, and only a complete reference names unseen categories.
    unseen = [] if ref_other else new
    categories = sorted(ref_counts) + unseen
    other = [sum(batch_counts[c] for c in new)] if ref_other else []
    ref_row = [ref_counts.get(c, 0) for c in categories] + ([ref_other] if ref_other else [])
    batch_row = [batch_counts.get(c, 0) for c in categories] + other
    labels_shown = categories + ([OTHER_LABEL] if ref_other else [])
    ref_row.append(int(ref["rows"]) - int(ref["count"]))
    batch_row.append(int(labels.isna().sum()))
    labels_shown.append(NULL_LABEL)
    table = np.array([ref_row, batch_row], dtype="float64")
    table = table[:, table.sum(axis=0) > 0]
    statistic = p_value = None
    if table.shape[1] > 1 and table[1].sum() > 0 and table[0].sum() > 0:
        test = stats.chi2_contingency(table, correction=False)
        statistic, p_value = float(test.statistic), float(test.pvalue)
    ref_props = np.array(ref_row) / max(sum(ref_row), 1)
    batch_props = np.array(batch_row) / max(sum(batch_row), 1)
    value = psi(ref_props, batch_props) if labels.size else 0.0
    reasons = _verdict(value, p_value, labels.size, threshold, "chi2")
    if unseen:
        more = f" ... ({len(unseen)} in all)" if len(unseen) > 5 else ""
        reasons.append("unseen: " + ", ".join(unseen[:5]) + more)
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
        unseen_categories=unseen[:MAX_LISTED],
        plot=_categorical_plot(labels_shown, ref_props, batch_props),
    )


def _categorical_plot(labels: list[str], ref: np.ndarray, batch: np.ndarray) -> dict[str, Any]:
    """The `PLOT_CATEGORIES` categories with the largest share on either side, plus the rest."""
    keep = [i for i in np.argsort(-np.maximum(ref, batch), kind="stable") if ref[i] or batch[i]]
    shown = sorted(keep[:PLOT_CATEGORIES])
    rest = keep[PLOT_CATEGORIES:]
    names = [labels[i] for i in shown] + ([f"{len(rest)} more"] if rest else [])
    return {
        "categories": names,
        "reference": [float(ref[i]) for i in shown] + ([float(ref[rest].sum())] if rest else []),
        "batch": [float(batch[i]) for i in shown] + ([float(batch[rest].sum())] if rest else []),
    }


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
            features.append(
                _compare_numeric(name, ref, numeric_values(column), spec.drift_threshold)
            )
        else:
            features.append(
                _compare_categorical(name, ref, category_labels(column), spec.drift_threshold)
            )
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
