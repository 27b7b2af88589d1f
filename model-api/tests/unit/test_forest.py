"""forest.py: the exact numpy traversal against scikit-learn, and refusal of bad files."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from model_api.forest import ForestFormatError, load_forest
from model_api_testkit import NUMERIC, fit_pipeline, forest_npz

pytestmark = pytest.mark.unit
COLUMNS = [*NUMERIC, "wine_type"]


def test_regression_forest_matches_sklearn_on_all_wine_rows(
    wine: pd.DataFrame, wine_pipeline: Pipeline
) -> None:
    design = np.asarray(wine_pipeline.named_steps["pre"].transform(wine[COLUMNS]))
    forest = load_forest(forest_npz(wine_pipeline))
    expected = wine_pipeline.predict(wine[COLUMNS])
    got = forest.predict_values(design)[:, 0]
    assert got.shape == (len(wine),)
    assert np.max(np.abs(got - expected)) <= 1e-9


def test_single_rows_match_batch(wine: pd.DataFrame, wine_pipeline: Pipeline) -> None:
    design = np.asarray(wine_pipeline.named_steps["pre"].transform(wine[COLUMNS].head(50)))
    forest = load_forest(forest_npz(wine_pipeline))
    batch = forest.predict_values(design)
    singles = np.vstack([forest.predict_values(design[i : i + 1]) for i in range(50)])
    np.testing.assert_allclose(singles, batch, rtol=0, atol=1e-12)


def test_classifier_probabilities_match_predict_proba(wine: pd.DataFrame) -> None:
    frame = wine.sample(800, random_state=3)
    pipeline = fit_pipeline(frame, NUMERIC, ["wine_type"], "quality", n_estimators=8, classify=True)
    design = np.asarray(pipeline.named_steps["pre"].transform(frame[COLUMNS]))
    probabilities = load_forest(forest_npz(pipeline)).predict_values(design)
    np.testing.assert_allclose(probabilities, pipeline.predict_proba(frame[COLUMNS]), atol=1e-9)


def _npz(**arrays: object) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def _stump(**changes: object) -> dict[str, object]:
    arrays: dict[str, object] = {
        "node_offset": np.array([0, 3]),
        "children_left": np.array([1, -1, -1]),
        "children_right": np.array([2, -1, -1]),
        "feature": np.array([0, -2, -2]),
        "threshold": np.array([0.5, -2.0, -2.0]),
        "value": np.array([[0.0], [1.0], [2.0]]),
        "n_features": np.int64(1),
    }
    arrays.update(changes)
    return arrays


def test_a_stump_goes_left_at_the_threshold_and_right_above() -> None:
    forest = load_forest(_npz(**_stump()))
    got = forest.predict_values(np.array([[0.5], [0.5000001], [-3.0]]))[:, 0]
    assert got.tolist() == [1.0, 2.0, 1.0]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"children_left": np.array([0, -1, -1])}, "not trees"),
        ({"children_left": np.array([2, -1, -1])}, "not trees"),
        ({"feature": np.array([5, -2, -2])}, "feature outside"),
        ({"children_right": np.array([9, -1, -1])}, "outside its tree"),
        ({"value": np.array([[0.0], [1.0]])}, "inconsistent"),
        ({"children_right": np.array([-1, -1, -1])}, "one child"),
    ],
)
def test_malformed_forests_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ForestFormatError, match=message):
        load_forest(_npz(**_stump(**changes)))


def test_missing_arrays_and_pickles_are_refused() -> None:
    arrays = _stump()
    del arrays["threshold"]
    with pytest.raises(ForestFormatError, match="lacks arrays"):
        load_forest(_npz(**arrays))
    pickled = _stump(value=np.array([{"x": 1}, None, None], dtype=object))
    with pytest.raises(ForestFormatError, match="not a readable npz"):
        load_forest(_npz(**pickled))
    with pytest.raises(ForestFormatError, match="not a readable npz"):
        load_forest(b"not a zip file")
