"""Seeded hyper-parameter search with a budget, cached in the lake by training-data hash."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.features import build_pipeline
from pipeline.lake import Lake, join_key
from pipeline.layout import models_prefix
from pipeline.metrics import primary_metric

logger = logging.getLogger(__name__)

# Chosen on wine (red + white, deduplicated): leaves of 1-3 rows with 1/3 to 1/2 of the
# features per split scored best. The number of trees is not searched: more trees never
# hurt a forest's expected score, they only cost time (Probst & Boulesteix 2018, "To tune
# or not to tune the number of trees in random forest", JMLR 18). Candidates are compared
# with SEARCH_TREES trees, the final model gets FINAL_TREES.
DEFAULT_SPACE: dict[str, list[Any]] = {
    "max_features": [0.33, 0.5, "sqrt"],
    "min_samples_leaf": [1, 2, 3],
}
SEARCH_TREES = 100
FINAL_TREES = 300
CV_FOLDS = 3
SEARCH_JOBS = 2
CACHE_VERSION = 2


@dataclass
class SearchOutcome:
    """Best forest parameters and their cross-validated score.

    `cv_mean`/`cv_std` are the best candidate's scores as searched (with SEARCH_TREES trees
    when the space does not include n_estimators; the final forest is a little better).
    """

    params: dict[str, Any]
    cv_mean: float
    cv_std: float
    metric: str
    candidates: int
    cached: bool


def cache_key(dataset: str, data_sha256: str) -> str:
    """`models/<dataset>/_search_cache/<hash>.json`."""
    return join_key(models_prefix(dataset), "_search_cache", f"{data_sha256}.json")


def _fingerprint(task: str, space: Mapping[str, Sequence[Any]], budget: int, seed: int) -> str:
    # The cache answers only the same question: same space, budget, seed and task.
    return json.dumps(
        {"v": CACHE_VERSION, "task": task, "space": space, "budget": budget, "seed": seed},
        sort_keys=True,
        default=str,
    )


def _read_cache(lake: Lake, key: str, fingerprint: str) -> SearchOutcome | None:
    if not lake.exists(key):
        return None
    try:
        cached = json.loads(lake.read_bytes(key))
        if cached.get("fingerprint") != fingerprint:
            return None
        return SearchOutcome(
            params=dict(cached["params"]),
            cv_mean=float(cached["cv_mean"]),
            cv_std=float(cached["cv_std"]),
            metric=str(cached["metric"]),
            candidates=int(cached["candidates"]),
            cached=True,
        )
    except (ValueError, KeyError, TypeError) as error:
        logger.warning("ignoring unreadable search cache %s: %s", key, error)
        return None


def find_best_params(
    lake: Lake,
    dataset: str,
    data_sha256: str,
    train: pd.DataFrame,
    *,
    task: str,
    numeric: list[str],
    categorical: list[str],
    target: str,
    budget: int,
    seed: int,
    space: Mapping[str, Sequence[Any]] | None = None,
) -> SearchOutcome:
    """The best forest parameters for this training data, from the cache or a new search.

    The search is RandomizedSearchCV over `space` (default DEFAULT_SPACE) with `budget`
    candidates, seeded, on CV_FOLDS folds of `train`; its result is stored under
    `cache_key(dataset, data_sha256)` so unchanged data skips it.
    """
    from sklearn.model_selection import KFold, RandomizedSearchCV, StratifiedKFold

    grid = dict(space or DEFAULT_SPACE)
    fingerprint = _fingerprint(task, grid, budget, seed)
    key = cache_key(dataset, data_sha256)
    cached = _read_cache(lake, key, fingerprint)
    if cached is not None:
        logger.info(
            "search skipped for %s: cached parameters %s for training data %s",
            dataset,
            cached.params,
            data_sha256[:12],
        )
        return cached
    metric = primary_metric(task)
    folds = (
        KFold(CV_FOLDS, shuffle=True, random_state=seed)
        if task == "regression"
        else StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed)
    )
    fixed = {} if "n_estimators" in grid else {"n_estimators": SEARCH_TREES}
    search = RandomizedSearchCV(
        build_pipeline(task, numeric, categorical, seed, **fixed),
        {f"forest__{name}": list(values) for name, values in grid.items()},
        # More candidates than the space holds would only repeat (and sklearn warns).
        n_iter=min(budget, math.prod(len(values) for values in grid.values())),
        scoring=metric,
        cv=folds,
        n_jobs=SEARCH_JOBS,
        random_state=seed,
        refit=False,
    )
    features = [*numeric, *categorical]
    search.fit(train[features], train[target])
    best = int(search.best_index_)
    outcome = SearchOutcome(
        params={
            **({} if "n_estimators" in grid else {"n_estimators": FINAL_TREES}),
            **{k.removeprefix("forest__"): v for k, v in search.best_params_.items()},
        },
        cv_mean=float(search.cv_results_["mean_test_score"][best]),
        cv_std=float(search.cv_results_["std_test_score"][best]),
        metric=metric,
        candidates=len(search.cv_results_["params"]),
        cached=False,
    )
    lake.write_bytes(
        key,
        json.dumps(
            {
                "fingerprint": fingerprint,
                "params": outcome.params,
                "cv_mean": outcome.cv_mean,
                "cv_std": outcome.cv_std,
                "metric": metric,
                "candidates": outcome.candidates,
            },
            indent=2,
            default=str,
        ).encode(),
    )
    logger.info(
        "search for %s tried %d candidates: best %s (cv %s %.4f +- %.4f)",
        dataset,
        outcome.candidates,
        outcome.params,
        metric,
        outcome.cv_mean,
        outcome.cv_std,
    )
    return outcome
