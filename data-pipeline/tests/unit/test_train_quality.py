"""The quality of the default model on wine (slow: the full default search)."""

from __future__ import annotations

import pytest

from pipeline.datasets import load_dataset_spec
from pipeline.lake import LocalLake
from pipeline.settings import PipelineSettings, default_datasets_dir
from pipeline.train import train_dataset
from wine_lake import write_curated_wine

pytestmark = [pytest.mark.unit, pytest.mark.slow]


def test_default_search_on_wine_red_and_white(tmp_path_factory: pytest.TempPathFactory) -> None:
    lake = LocalLake(tmp_path_factory.mktemp("lake"))
    write_curated_wine(lake)
    spec = load_dataset_spec("wine_quality", default_datasets_dir())
    result = train_dataset(lake, spec, PipelineSettings(lake_url=lake.url))
    honest = result.metrics["holdout"]
    leaky = result.metrics["with_duplicates"]
    # Measured 0.404 / 0.525 on the seed-42 split (0.40-0.43 over other seeds); the floor
    # here catches a broken pipeline, the goal (0.42 / 0.52) is tracked in BENCHMARKS.md.
    assert honest["r2"] >= 0.38 and honest["mae"] <= 0.54
    assert honest["r2"] - honest["baseline_r2"] >= 0.35
    assert leaky["r2"] > honest["r2"] + 0.05  # duplicates leak across a random split
    assert result.params["n_estimators"] == 300  # FINAL_TREES; the search picks the rest
