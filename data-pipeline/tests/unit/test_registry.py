"""The registry: promotion gate, forced promotion, rollback, tampered artifacts."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from pipeline import registry
from pipeline.lake import LocalLake
from pipeline.train import TrainResult
from wine_lake import train_fast, write_curated_wine

pytestmark = pytest.mark.unit

# A forest this small and coarse scores far below the fast default one.
WORSE_SPACE = {"n_estimators": [3], "max_features": [0.1], "min_samples_leaf": [300]}


@pytest.fixture(scope="module")
def history(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LocalLake, list[TrainResult]]]:
    lake = LocalLake(tmp_path_factory.mktemp("lake"))
    write_curated_wine(lake)
    good = train_fast(lake)
    worse = train_fast(lake, search_space=WORSE_SPACE, search_budget=1)
    forced = train_fast(lake, search_space=WORSE_SPACE, search_budget=1, force_promote=True)
    yield lake, [good, worse, forced]


def test_worse_model_is_not_promoted_unless_forced(
    history: tuple[LocalLake, list[TrainResult]],
) -> None:
    lake, (good, worse, forced) = history
    assert good.promoted
    assert not worse.promoted
    assert worse.metrics["holdout"]["r2"] < good.metrics["holdout"]["r2"]
    assert worse.reason.startswith("not promoted: R2 ")
    assert f"vs champion {good.version}" in worse.reason
    assert forced.promoted and forced.reason.startswith("forced promotion: R2 ")
    runs = registry.read_runs(lake, "wine_quality")
    assert [(r["version"], r["promoted"]) for r in runs] == [
        (good.version, True),
        (worse.version, False),
        (forced.version, True),
    ]
    versions = registry.list_versions(lake, "wine_quality")
    assert [v["version"] for v in versions] == [good.version, worse.version, forced.version]
    assert [v["champion"] for v in versions] == [False, False, True]


def test_rollback_walks_back_and_promote_by_hand(
    history: tuple[LocalLake, list[TrainResult]],
) -> None:
    lake, (good, worse, forced) = history
    registry.promote(lake, "wine_quality", forced.version, "reset for this test")
    registry.promote(lake, "wine_quality", worse.version, "by hand")
    pointer = registry.get_champion(lake, "wine_quality")
    assert pointer is not None
    assert (pointer["version"], pointer["previous"]) == (worse.version, forced.version)
    back = registry.rollback(lake, "wine_quality")
    assert back["version"] == forced.version
    assert back["reason"] == f"rollback from {worse.version}"
    # forced was last promoted over `good`... then reset over itself; its previous then
    # was good, so a second rollback keeps walking back in time.
    again = registry.rollback(lake, "wine_quality")
    assert again["version"] == good.version
    explicit = registry.rollback(lake, "wine_quality", worse.version)
    assert explicit["version"] == worse.version
    assert json.loads(lake.read_bytes("models/wine_quality/champion.json")) == explicit


def test_unknown_versions_are_plain_errors(history: tuple[LocalLake, list[TrainResult]]) -> None:
    lake, (good, _, _) = history
    with pytest.raises(registry.VersionNotFoundError, match=r"no model version 'v0' .*known"):
        registry.promote(lake, "wine_quality", "v0", "nope")
    with pytest.raises(registry.VersionNotFoundError, match="no champion to roll back"):
        registry.rollback(lake, "other_dataset")
    assert good.version in str(registry.list_versions(lake, "wine_quality"))


def test_tampered_artifact_is_refused(history: tuple[LocalLake, list[TrainResult]]) -> None:
    lake, (good, _, _) = history
    key = f"models/wine_quality/{good.version}/model.skops"
    original = lake.read_bytes(key)
    assert registry.load_reference_model(lake, "wine_quality", good.version) is not None
    lake.write_bytes(key, original[:-1] + bytes([original[-1] ^ 1]))
    try:
        with pytest.raises(registry.TamperedArtifactError, match=r"refusing .*model\.skops"):
            registry.load_reference_model(lake, "wine_quality", good.version)
    finally:
        lake.write_bytes(key, original)
