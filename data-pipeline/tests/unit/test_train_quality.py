"""The quality of the default model on wine, through `pipeline train` (slow: full search)."""

from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from pipeline.lake import LocalLake
from pipeline.settings import get_settings
from wine_lake import write_curated_wine

pytestmark = [pytest.mark.unit, pytest.mark.slow]


def test_default_search_on_wine_red_and_white(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lake = LocalLake(tmp_path_factory.mktemp("lake"))
    write_curated_wine(lake)
    monkeypatch.setenv("LAKE_URL", lake.url)
    get_settings.cache_clear()
    try:
        assert main(["train", "--dataset", "wine_quality", "--json"]) == 0
        result = json.loads(capsys.readouterr().out)
        assert main(["train", "--dataset", "wine_quality"]) == 0
        text = capsys.readouterr().out
    finally:
        get_settings.cache_clear()
    honest = result["metrics"]["holdout"]
    leaky = result["metrics"]["with_duplicates"]
    # Measured 0.403 / 0.525 on the seed-42 split (0.40-0.43 over other seeds); the floor
    # here catches a broken pipeline, the goal (0.42 / 0.52) is tracked in BENCHMARKS.md.
    assert honest["r2"] >= 0.38 and honest["mae"] <= 0.54
    assert honest["r2"] - honest["baseline_r2"] >= 0.35
    assert leaky["r2"] > honest["r2"] + 0.05  # duplicates leak across a random split
    assert result["params"]["n_estimators"] == 300  # FINAL_TREES; the search picks the rest
    assert result["promoted"] and not result["search_skipped"]
    # Unchanged data: cached parameters, the same score, so the champion stays.
    assert "search   skipped (cached parameters)" in text
    assert f"r2              {honest['r2']:.4f}" in text
    assert "kept  not promoted: R2" in text
