"""Drift statistics: same-distribution batches pass, shifted features are named exactly."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pipeline.clean import clean_column_name
from pipeline.datasets import DatasetSpec, load_dataset_spec
from pipeline.drift import (
    DRIFT_P_VALUE,
    SAMPLE_SIZE,
    ReferenceStatsError,
    compare_to_reference,
    compute_reference_stats,
    psi,
)
from pipeline.drift_reference import MAX_CATEGORIES
from pipeline.settings import default_datasets_dir
from testdata import RED_WINE, WHITE_WINE

pytestmark = [pytest.mark.unit]


@pytest.fixture(scope="module")
def spec() -> DatasetSpec:
    return load_dataset_spec("wine_quality", default_datasets_dir())


@pytest.fixture(scope="module")
def wine() -> pd.DataFrame:
    frames = []
    for path, kind in [(RED_WINE, "red"), (WHITE_WINE, "white")]:
        frame = pd.read_csv(path, sep=";")
        frame.columns = [clean_column_name(str(c)) for c in frame.columns]
        frame["wine_type"] = kind
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def halves(wine: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    order = np.random.default_rng(2026).permutation(len(wine))
    middle = len(wine) // 2
    return wine.iloc[order[:middle]].copy(), wine.iloc[order[middle:]].copy()


@pytest.fixture(scope="module")
def reference(halves: tuple[pd.DataFrame, pd.DataFrame], spec: DatasetSpec) -> dict[str, object]:
    return compute_reference_stats(halves[0], spec)


def test_reference_stats_are_json_and_describe_every_feature(
    reference: dict[str, object], spec: DatasetSpec, halves: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    restored = json.loads(json.dumps(reference, allow_nan=False))
    features = restored["features"]
    assert list(features) == spec.feature_names  # the target is not a feature
    alcohol = features["alcohol"]
    assert alcohol["count"] == len(halves[0])
    assert alcohol["mean"] == pytest.approx(halves[0]["alcohol"].mean())
    assert sum(alcohol["bin_proportions"]) == pytest.approx(1.0)
    assert len(alcohol["bin_proportions"]) == len(alcohol["bin_edges"]) + 1
    assert len(alcohol["sample"]) == min(SAMPLE_SIZE, len(halves[0]))
    assert features["wine_type"]["kind"] == "categorical"
    assert set(features["wine_type"]["frequencies"]) == {"red", "white"}
    assert sum(features["wine_type"]["frequencies"].values()) == pytest.approx(1.0)


def test_sample_is_bounded_for_large_tables(spec: DatasetSpec, wine: pd.DataFrame) -> None:
    big = pd.concat([wine, wine], ignore_index=True)
    stats = compute_reference_stats(big, spec)
    assert len(stats["features"]["ph"]["sample"]) == SAMPLE_SIZE
    assert stats["features"]["ph"]["count"] == len(big)


def test_batch_from_the_training_distribution_shows_no_drift(
    reference: dict[str, object], halves: tuple[pd.DataFrame, pd.DataFrame], spec: DatasetSpec
) -> None:
    result = compare_to_reference(halves[1], reference, spec, batch_id="other-half")
    assert result.drifted_features == []
    assert not result.drifted
    assert all(f.psi < spec.drift_threshold / 4 for f in result.features)
    assert all(f.p_value is not None and f.p_value > DRIFT_P_VALUE for f in result.features)
    assert "no drift in 12 features" in result.summary()


def test_shifted_alcohol_and_a_new_category_drift_on_exactly_those(
    reference: dict[str, object], halves: tuple[pd.DataFrame, pd.DataFrame], spec: DatasetSpec
) -> None:
    batch = halves[1].copy()
    batch["alcohol"] = batch["alcohol"] + 3
    rose = batch.sample(frac=0.3, random_state=1).index
    batch.loc[rose, "wine_type"] = "rose"
    result = compare_to_reference(batch, reference, spec, reference_version="v1")
    assert set(result.drifted_features) == {"alcohol", "wine_type"}
    by_name = {f.name: f for f in result.features}
    assert by_name["alcohol"].psi > spec.drift_threshold
    assert by_name["alcohol"].p_value is not None and by_name["alcohol"].p_value < DRIFT_P_VALUE
    assert by_name["wine_type"].unseen_categories == ["rose"]
    assert "rose" in by_name["wine_type"].plot["categories"]
    summary = result.summary()
    assert "DRIFT in 2 of 12 features" in summary and "unseen: rose" in summary
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["drifted_features"] == ["alcohol", "wine_type"]


def test_a_feature_gone_missing_drifts(
    reference: dict[str, object], halves: tuple[pd.DataFrame, pd.DataFrame], spec: DatasetSpec
) -> None:
    batch = halves[1].drop(columns=["sulphates"])
    batch["chlorides"] = np.nan
    result = compare_to_reference(batch, reference, spec)
    assert set(result.drifted_features) == {"sulphates", "chlorides"}
    chlorides = next(f for f in result.features if f.name == "chlorides")
    assert chlorides.batch_null_share == 1.0 and chlorides.p_value is None


def test_tiny_batches_are_judged_by_the_test_not_by_noisy_psi(
    reference: dict[str, object], halves: tuple[pd.DataFrame, pd.DataFrame], spec: DatasetSpec
) -> None:
    # 30 rows of the training distribution: PSI over 10 bins is mostly noise at this size.
    small = halves[1].iloc[:30]
    result = compare_to_reference(small, reference, spec)
    assert any(f.psi > spec.drift_threshold for f in result.features)
    assert result.drifted_features == []
    shifted = small.assign(alcohol=small["alcohol"] + 3)
    assert compare_to_reference(shifted, reference, spec).drifted_features == ["alcohol"]


def test_psi_is_zero_for_equal_and_grows_with_shift() -> None:
    even = np.full(4, 0.25)
    assert psi(even, even) == 0.0
    assert (
        0 < psi(even, np.array([0.3, 0.2, 0.25, 0.25])) < psi(even, np.array([0.7, 0.1, 0.1, 0.1]))
    )
    assert np.isfinite(psi(np.array([1.0, 0.0]), np.array([0.0, 1.0])))


def test_unknown_reference_schema_is_refused_in_plain_words(
    halves: tuple[pd.DataFrame, pd.DataFrame], spec: DatasetSpec
) -> None:
    with pytest.raises(ReferenceStatsError, match="schema_version 99"):
        compare_to_reference(halves[1], {"schema_version": 99, "features": {}}, spec)


def test_an_empty_batch_is_no_evidence_of_drift(
    reference: dict[str, object], halves: tuple[pd.DataFrame, pd.DataFrame], spec: DatasetSpec
) -> None:
    result = compare_to_reference(halves[1].iloc[:0], reference, spec)
    assert result.drifted_features == []
    assert all(f.psi == 0.0 and f.p_value is None for f in result.features)


def test_id_like_columns_keep_the_reference_and_the_plot_bounded() -> None:
    spec = DatasetSpec.model_validate(
        {
            "name": "orders",
            "target": "y",
            "task": "regression",
            "columns": {"y": {"type": "float"}, "customer": {"type": "string"}},
        }
    )
    ids = np.random.default_rng(0).integers(0, 2_000, 4_000)
    frame = pd.DataFrame({"y": np.zeros(4_000), "customer": [f"c{i}" for i in ids]})
    stats = compute_reference_stats(frame, spec)["features"]["customer"]
    assert len(stats["counts"]) == MAX_CATEGORIES
    assert stats["other_count"] == 4_000 - sum(stats["counts"].values())
    same = compare_to_reference(frame, compute_reference_stats(frame, spec), spec)
    assert same.drifted_features == []
    # Rare training ids and new ids are indistinguishable in a truncated reference: no
    # "unseen" list, but a flood of new ids still moves the share of "other".
    flood = frame.assign(customer=[f"new{i}" for i in range(4_000)])
    feature = compare_to_reference(flood, compute_reference_stats(frame, spec), spec).features[0]
    assert feature.drifted and feature.unseen_categories == []
    assert len(feature.plot["categories"]) <= 14
