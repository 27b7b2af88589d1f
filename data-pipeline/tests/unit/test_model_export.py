"""Model artifacts: forest.npz, model.skops and model.onnx reproduce the fitted Pipeline."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipeline.datasets import load_dataset_spec
from pipeline.features import build_pipeline, split_columns, to_model_frame
from pipeline.manifest import design_matrix
from pipeline.model_export import (
    UntrustedModelError,
    forest_npz_bytes,
    load_forest_npz,
    load_skops,
    onnx_bytes,
    onnx_feeds,
    predict_forest,
    skops_bytes,
)
from pipeline.settings import default_datasets_dir
from wine_lake import wine_frame

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def wine() -> tuple[pd.DataFrame, list[str], list[str]]:
    spec = load_dataset_spec("wine_quality", default_datasets_dir())
    raw = wine_frame()
    numeric, categorical = split_columns(spec, list(raw.columns))
    frame = to_model_frame(raw, numeric, categorical)
    frame["quality"] = raw["quality"].astype("float64")
    return frame, numeric, categorical


def _fit(task: str, wine: tuple[pd.DataFrame, list[str], list[str]]) -> Any:
    frame, numeric, categorical = wine
    pipeline = build_pipeline(task, numeric, categorical, 7, n_estimators=25, max_features=0.5)
    target = frame["quality"] if task == "regression" else frame["quality"].astype(int).astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no feature-name (or any other) warning
        pipeline.fit(frame[[*numeric, *categorical]], target)
    return pipeline


@pytest.fixture(scope="module")
def regressor(wine: tuple[pd.DataFrame, list[str], list[str]]) -> Any:
    return _fit("regression", wine)


def _manifest_like(pipeline: Any, numeric: list[str], categorical: list[str]) -> dict[str, Any]:
    from pipeline.manifest import _preprocessing

    return {"preprocessing": _preprocessing(pipeline, numeric, categorical)}


def test_numpy_traversal_of_npz_equals_predict_on_all_wine(wine: Any, regressor: Any) -> None:
    frame, numeric, categorical = wine
    pipeline = regressor
    arrays = load_forest_npz(forest_npz_bytes(pipeline))
    assert arrays["node_offset"].dtype == np.int64 and arrays["node_offset"].shape == (26,)
    assert arrays["threshold"].dtype == np.float64 and arrays["value"].shape[1] == 1
    assert int(arrays["n_features"]) == len(numeric) + 2  # wine_type -> red, white
    features = frame[[*numeric, *categorical]]
    design = design_matrix(_manifest_like(pipeline, numeric, categorical), features)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = pipeline.predict(features)
    got = predict_forest(arrays, design)[:, 0]
    assert np.max(np.abs(got - expected)) <= 1e-9


def test_npz_handles_missing_and_unknown_values_like_the_pipeline(
    wine: Any, regressor: Any
) -> None:
    frame, numeric, categorical = wine
    pipeline = regressor
    rows = frame[[*numeric, *categorical]].head(4).copy()
    rows.loc[rows.index[0], "alcohol"] = np.nan
    rows.loc[rows.index[1], "wine_type"] = np.nan
    rows.loc[rows.index[2], "wine_type"] = "rose"
    design = design_matrix(_manifest_like(pipeline, numeric, categorical), rows)
    got = predict_forest(load_forest_npz(forest_npz_bytes(pipeline)), design)[:, 0]
    assert np.max(np.abs(got - pipeline.predict(rows))) <= 1e-9


def test_classifier_npz_gives_predict_proba(wine: Any) -> None:
    frame, numeric, categorical = wine
    pipeline = _fit("classification", wine)
    features = frame[[*numeric, *categorical]]
    arrays = load_forest_npz(forest_npz_bytes(pipeline))
    design = design_matrix(_manifest_like(pipeline, numeric, categorical), features)
    proba = predict_forest(arrays, design)
    assert np.max(np.abs(proba - pipeline.predict_proba(features))) <= 1e-9
    labels = pipeline.steps[-1][1].classes_[proba.argmax(axis=1)]
    assert (labels == pipeline.predict(features)).all()


def test_skops_round_trip_predicts_identically(wine: Any, regressor: Any) -> None:
    frame, numeric, categorical = wine
    pipeline = regressor
    loaded = load_skops(skops_bytes(pipeline))
    features = frame[[*numeric, *categorical]]
    assert np.array_equal(loaded.predict(features), pipeline.predict(features))


def test_skops_with_an_untrusted_type_is_refused() -> None:
    from collections import OrderedDict

    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    data = sio.dumps(FunctionTransformer(func=OrderedDict))
    with pytest.raises(UntrustedModelError, match="outside the trusted list"):
        load_skops(data)


def test_onnx_matches_within_float32_tolerance(wine: Any, regressor: Any) -> None:
    import onnxruntime as ort

    frame, numeric, categorical = wine
    pipeline = regressor
    session = ort.InferenceSession(
        onnx_bytes(pipeline, numeric, categorical), providers=["CPUExecutionProvider"]
    )
    features = frame[[*numeric, *categorical]].copy()
    features.loc[features.index[0], "wine_type"] = np.nan  # missing category -> "" -> imputed
    got = session.run(None, onnx_feeds(features, numeric, categorical))[0].ravel()
    # ONNX trees compare in float32 (thresholds stored as float32): ~1e-5 differences.
    assert np.max(np.abs(got - pipeline.predict(features))) <= 1e-4
