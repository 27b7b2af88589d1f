"""
### Train: a versioned model from the curated data, promoted only when it is better

Starts by itself when the `ingest` DAG announces new curated data (the `curated_<dataset>`
Assets: data-aware scheduling), or by hand with the **Trigger** button:

* **dataset**: the dataset to train; with `auto`, a run started by new data trains the
  datasets that changed and a run started by hand trains every declared dataset.
* **search_budget**: hyper-parameter candidates to try (empty: `PIPELINE_SEARCH_BUDGET`).
* **force_promote**: make the new version the champion even when it is not better.

* **choose_datasets** decides which datasets to train and says why.
* **train_model** is mapped, one task per dataset: it trains on all curated data,
  evaluates on a deduplicated holdout, registers the version under `models/<dataset>/`
  and promotes it to `champion.json` only when it beats the current champion. The log
  states the decision and the metrics behind it.

Run the same training by hand: `pipeline train --dataset NAME`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from airflow.sdk import Asset, AssetAny, Param, dag, task

from pipeline.orchestration import (
    curated_asset_name,
    curated_asset_uri,
    declared_dataset_names,
)
from pipeline.settings import PipelineSettings

log = logging.getLogger(__name__)

SETTINGS = PipelineSettings()
DATASETS = declared_dataset_names(SETTINGS.datasets_dir)
# The `dataset` param's default: the datasets whose curated data changed (by hand: all).
AUTO = "auto"
CURATED_ASSETS = [Asset(name=curated_asset_name(d), uri=curated_asset_uri(d)) for d in DATASETS]

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "data-platform",
    # Training reads and writes the lake: a transient storage error deserves a second try.
    "retries": 1,
    "retry_delay": timedelta(minutes=1),
    "execution_timeout": timedelta(hours=2),
}

PARAMS = {
    "dataset": Param(
        AUTO,
        type="string",
        enum=[AUTO, *DATASETS],
        values_display={AUTO: "auto: datasets with new data (by hand: all)"},
        title="Dataset",
        description="The dataset to train; auto trains the changed (or, by hand, all) datasets.",
    ),
    "search_budget": Param(
        None,
        type=["null", "integer"],
        minimum=1,
        maximum=500,
        title="Search budget",
        description="Hyper-parameter candidates to try; empty uses PIPELINE_SEARCH_BUDGET.",
    ),
    "force_promote": Param(
        False,
        type="boolean",
        title="Force promote",
        description="Promote the new version even when it does not beat the champion.",
    ),
}


@task
def choose_datasets() -> list[str]:
    """Pick the datasets to train from the params or the triggering Asset events."""
    from airflow.sdk import get_current_context

    from pipeline.orchestration import choose_training_datasets

    context = get_current_context()
    events = context["triggering_asset_events"]
    uris = sorted({event.asset.uri for key in events for event in events[key]})
    requested = context["params"].get("dataset")
    requested = None if requested in {None, "", AUTO} else requested
    chosen = choose_training_datasets(requested, uris, DATASETS)
    if requested:
        log.info("training %s: chosen by hand", chosen)
    elif uris:
        log.info("training %s: new curated data announced on %s", chosen, uris)
        for key in events:
            for event in events[key]:
                drifted = (event.extra or {}).get("drifted_features")
                if drifted:
                    log.info(
                        "training reason: data drift on %s (reports: %s)",
                        ", ".join(drifted),
                        ", ".join(map(str, event.extra.get("drift_reports") or [])),
                    )
    else:
        log.info("training %s: run by hand without a dataset, so every declared one", chosen)
    return chosen


@task(
    map_index_template="{{ dataset }}",
    doc_md="One dataset: train, evaluate, register; promote when better than the champion.",
)
def train_model(dataset: str) -> dict[str, Any]:
    """Train, evaluate, register; promote when the new version beats the champion."""
    from airflow.sdk import get_current_context

    from pipeline.orchestration import train_one

    context = get_current_context()
    context["dataset"] = dataset  # type: ignore[typeddict-unknown-key]
    params = context["params"]
    budget = params.get("search_budget")
    return train_one(
        dataset,
        SETTINGS,
        search_budget=int(budget) if budget else None,
        force_promote=bool(params.get("force_promote")),
    )


@dag(
    dag_id="train",
    schedule=AssetAny(*CURATED_ASSETS) if CURATED_ASSETS else None,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=PARAMS,
    dagrun_timeout=timedelta(hours=4),
    tags=["data-pipeline", "train"],
    doc_md=__doc__,
)
def train() -> None:
    """Choose the datasets, then train one mapped task per dataset."""
    train_model.expand(dataset=choose_datasets())


train_dag = train()

if __name__ == "__main__":
    train_dag.test()
