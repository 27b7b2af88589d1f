"""The training report of a version: PNG plots (matplotlib Agg) and one HTML page."""

from __future__ import annotations

import html
import io
import json
from typing import Any

import numpy as np
import pandas as pd

IMPORTANCE_REPEATS = 5


def permutation_importance_table(
    pipeline: Any, holdout: pd.DataFrame, features: list[str], target: str, task: str, seed: int
) -> pd.DataFrame:
    """Drop in holdout score when each input column is shuffled (mean and std over repeats)."""
    from sklearn.inspection import permutation_importance

    scoring = "r2" if task == "regression" else "f1_macro"
    found = permutation_importance(
        pipeline,
        holdout[features],
        holdout[target],
        scoring=scoring,
        n_repeats=IMPORTANCE_REPEATS,
        random_state=seed,
        n_jobs=1,
    )
    table = pd.DataFrame(
        {"feature": features, "mean": found.importances_mean, "std": found.importances_std}
    )
    return table.sort_values("mean", ascending=False).reset_index(drop=True)


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def plot_importance(table: pd.DataFrame) -> bytes:
    """Horizontal bars of permutation importance, most important on top."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 0.35 * len(table) + 1.2))
    axes = figure.subplots()
    ordered = table.iloc[::-1]
    axes.barh(ordered["feature"], ordered["mean"], xerr=ordered["std"], color="#4c72b0")
    axes.set_xlabel("drop in holdout score when shuffled")
    axes.set_title("Permutation importance (holdout)")
    return _png(figure)


def plot_predicted_vs_actual(actual: np.ndarray, predicted: np.ndarray, task: str) -> bytes:
    """Scatter of predictions against truth (regression) or a confusion matrix (classes)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 5))
    axes = figure.subplots()
    if task == "regression":
        jitter = np.random.default_rng(0).uniform(-0.15, 0.15, len(actual))
        axes.scatter(actual + jitter, predicted, s=8, alpha=0.4, color="#4c72b0")
        low = float(min(actual.min(), predicted.min()))
        high = float(max(actual.max(), predicted.max()))
        axes.plot([low, high], [low, high], color="#c44e52", linewidth=1, label="perfect")
        axes.set_xlabel("actual (jittered)")
        axes.set_ylabel("predicted")
        axes.legend(loc="upper left")
    else:
        labels = sorted(set(actual) | set(predicted))
        index = {label: i for i, label in enumerate(labels)}
        counts = np.zeros((len(labels), len(labels)), dtype=int)
        for truth, guess in zip(actual, predicted, strict=True):
            counts[index[truth], index[guess]] += 1
        axes.imshow(counts, cmap="Blues")
        axes.set_xticks(range(len(labels)), labels)
        axes.set_yticks(range(len(labels)), labels)
        axes.set_xlabel("predicted")
        axes.set_ylabel("actual")
    axes.set_title("Predicted vs actual (holdout)")
    return _png(figure)


def plot_residuals(actual: np.ndarray, predicted: np.ndarray) -> bytes:
    """Residuals (actual - predicted) against predictions, and their histogram."""
    from matplotlib.figure import Figure

    residuals = actual - predicted
    figure = Figure(figsize=(10, 4))
    left, right = figure.subplots(1, 2)
    left.scatter(predicted, residuals, s=8, alpha=0.4, color="#4c72b0")
    left.axhline(0, color="#c44e52", linewidth=1)
    left.set_xlabel("predicted")
    left.set_ylabel("actual - predicted")
    left.set_title("Residuals (holdout)")
    right.hist(residuals, bins=30, color="#4c72b0")
    right.set_xlabel("actual - predicted")
    right.set_title("Residual distribution")
    return _png(figure)


def _table(rows: list[tuple[str, Any]]) -> str:
    cells = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in rows
    )
    return f"<table>{cells}</table>"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def render_html(manifest: dict[str, Any], importance: pd.DataFrame, images: list[str]) -> str:
    """The report page: headline metrics, the leaky comparison, parameters, lineage, plots."""
    metrics = manifest["metrics"]
    title = f"{manifest['dataset']} {manifest['version']}"
    sections = [
        f"<h1>Training report: {html.escape(title)}</h1>",
        f"<p>Task: {html.escape(manifest['task'])}, target <code>"
        f"{html.escape(manifest['target'])}</code>, created {html.escape(manifest['created_at'])}."
        "</p>",
        f"<h2>Headline: {html.escape(str(metrics.get('protocol', '')))}</h2>",
        _table(list(metrics.get("holdout", {}).items())),
        "<h2>Cross-validation (training part)</h2>",
        _table(list(metrics.get("cv", {}).items())),
    ]
    leaky = metrics.get("with_duplicates")
    if leaky:
        sections += [
            f"<h2>For comparison: {html.escape(str(leaky.get('protocol', '')))}</h2>",
            _table([(k, v) for k, v in leaky.items() if k != "protocol"]),
        ]
    sections += [
        "<h2>Parameters</h2>",
        _table(list(manifest["params"].items())),
        "<h2>Permutation importance</h2>",
        _table([(str(r.feature), f"{r.mean:.4f} ± {r.std:.4f}") for r in importance.itertuples()]),
        "<h2>Plots</h2>",
        *[f'<img src="{html.escape(name)}" alt="{html.escape(name)}">' for name in images],
        "<h2>Lineage</h2>",
        _table(
            [
                ("training data sha256", manifest["training_data"]["sha256"]),
                ("rows", manifest["training_data"]["rows"]),
                ("git commit", manifest["git_commit"]),
                ("library versions", manifest["library_versions"]),
            ]
        ),
        "<ul>"
        + "".join(
            f"<li><code>{html.escape(f['key'])}</code> sha256 {html.escape(f['sha256'])}</li>"
            for f in manifest["training_data"]["files"]
        )
        + "</ul>",
    ]
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.2em .6em;"
        "text-align:left}img{max-width:100%;display:block;margin:1em 0}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>{''.join(sections)}</body></html>"
    )


def build_report(
    manifest: dict[str, Any],
    pipeline: Any,
    holdout: pd.DataFrame,
    features: list[str],
    seed: int,
) -> dict[str, bytes]:
    """Report files (relative name -> bytes): index.html and its PNGs."""
    import matplotlib

    matplotlib.use("Agg")
    target, task = manifest["target"], manifest["task"]
    # 60+ full-holdout predictions: worth both cores; serving keeps the single-thread setting.
    pipeline.set_params(forest__n_jobs=2)
    try:
        importance = permutation_importance_table(pipeline, holdout, features, target, task, seed)
        predicted = np.asarray(pipeline.predict(holdout[features]))
    finally:
        pipeline.set_params(forest__n_jobs=None)
    actual = holdout[target].to_numpy()
    files = {
        "importance.png": plot_importance(importance),
        "predicted_vs_actual.png": plot_predicted_vs_actual(actual, predicted, task),
    }
    if task == "regression":
        files["residuals.png"] = plot_residuals(actual.astype(float), predicted.astype(float))
    files["index.html"] = render_html(manifest, importance, sorted(files)).encode("utf-8")
    return files
