"""Holdout splitting and model scores (with the naive baseline each is compared against)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

HOLDOUT_FRACTION = 0.2
HEADLINE_PROTOCOL = "deduplicated holdout"
LEAKY_PROTOCOL = "holdout with duplicate rows (leaky: a scored row can be a training row)"
MAX_STRATA = 10


def primary_metric(task: str) -> str:
    """The metric that decides promotion: R2 for regression, macro F1 for classification."""
    return "r2" if task == "regression" else "f1_macro"


def strata_for(y: pd.Series, task: str) -> pd.Series:
    """Labels to stratify a split on: classes, or the target's values / quantile bins.

    Strata with fewer than two rows cannot be split; they join the most common stratum.
    """
    if task == "classification" or y.nunique() <= 20:
        labels = y.astype(str)
    else:
        labels = pd.qcut(y.rank(method="first"), q=MAX_STRATA, labels=False).astype(str)
    counts = labels.value_counts()
    rare = counts[counts < 2].index
    if len(rare):
        labels = labels.where(~labels.isin(rare), counts.index[0])
    return labels


def holdout_split(
    frame: pd.DataFrame, target: str, task: str, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A fixed, seeded, stratified split into (train, holdout).

    Falls back to an unstratified split when the strata cannot fill the holdout.
    """
    from sklearn.model_selection import train_test_split

    strata = strata_for(frame[target], task)
    try:
        train, test = train_test_split(
            frame, test_size=HOLDOUT_FRACTION, random_state=seed, stratify=strata
        )
    except ValueError:
        train, test = train_test_split(frame, test_size=HOLDOUT_FRACTION, random_state=seed)
    return train, test


def regression_scores(y_true: Any, y_pred: Any, y_train: Any) -> dict[str, float]:
    """R2, MAE, RMSE and the same for the train-mean baseline."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    truth = np.asarray(y_true, dtype="float64")
    baseline = np.full_like(truth, float(np.mean(np.asarray(y_train, dtype="float64"))))
    return {
        "r2": float(r2_score(truth, y_pred)),
        "mae": float(mean_absolute_error(truth, y_pred)),
        "rmse": float(np.sqrt(mean_squared_error(truth, y_pred))),
        "baseline_r2": float(r2_score(truth, baseline)),
        "baseline_mae": float(mean_absolute_error(truth, baseline)),
        "baseline_rmse": float(np.sqrt(mean_squared_error(truth, baseline))),
        "rows": len(truth),
    }


def classification_scores(y_true: Any, y_pred: Any, y_train: Any) -> dict[str, float]:
    """Accuracy, macro F1 and the same for the majority-class baseline."""
    from sklearn.metrics import accuracy_score, f1_score

    truth = np.asarray(y_true, dtype=object)
    majority = pd.Series(np.asarray(y_train, dtype=object)).value_counts().index[0]
    baseline = np.full(len(truth), majority, dtype=object)
    return {
        "accuracy": float(accuracy_score(truth, y_pred)),
        "f1_macro": float(f1_score(truth, y_pred, average="macro", zero_division=0)),
        "baseline_accuracy": float(accuracy_score(truth, baseline)),
        "baseline_f1_macro": float(f1_score(truth, baseline, average="macro", zero_division=0)),
        "rows": len(truth),
    }


def score(task: str, y_true: Any, y_pred: Any, y_train: Any) -> dict[str, float]:
    """The task's metrics for predictions on a holdout."""
    if task == "regression":
        return regression_scores(y_true, y_pred, y_train)
    return classification_scores(y_true, y_pred, y_train)


def deduplicate(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The frame without exact duplicate rows (features and target), and how many went."""
    unique = frame.drop_duplicates(keep="first").reset_index(drop=True)
    return unique, len(frame) - len(unique)
