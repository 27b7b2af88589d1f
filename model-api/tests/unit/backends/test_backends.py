"""backends: the fast path equals the scikit-learn reference path on the whole wine data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from model_api.backends import build_predictor
from model_api.lake import FileLakeReader, IntegrityError
from model_api.manifest import Manifest
from model_api.settings import Backend
from model_api_testkit import NUMERIC, file_put, fit_pipeline, make_version, write_version

pytestmark = pytest.mark.unit


def _written(
    tmp_path: Path, pipeline: Pipeline, frame: pd.DataFrame, categorical: list[str], **kwargs: Any
) -> tuple[FileLakeReader, Manifest, str]:
    version = make_version(7)
    data = write_version(
        file_put(tmp_path), pipeline, frame, NUMERIC, categorical, version=version, **kwargs
    )
    return (
        FileLakeReader(tmp_path),
        Manifest.model_validate(data),
        f"models/wine_quality/{version}/",
    )


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame[[*NUMERIC, "wine_type"]].to_dict(orient="records")  # type: ignore[return-value]


def test_numpy_path_equals_sklearn_reference_on_all_wine_rows(
    tmp_path: Path, wine: pd.DataFrame, wine_pipeline: Pipeline
) -> None:
    lake, manifest, prefix = _written(tmp_path, wine_pipeline, wine, ["wine_type"])
    rows = _rows(wine)
    fast = build_predictor(Backend.NUMPY, lake, manifest, prefix).predict_values(rows)
    reference = build_predictor(Backend.SKLEARN, lake, manifest, prefix).predict_values(rows)
    assert fast.shape == reference.shape == (len(wine), 1)
    assert len(wine) == 6497  # red + white
    assert float(np.max(np.abs(fast - reference))) <= 1e-6


def test_onnx_path_agrees_within_float32_tolerance(
    tmp_path: Path, wine: pd.DataFrame, wine_pipeline: Pipeline
) -> None:
    lake, manifest, prefix = _written(tmp_path, wine_pipeline, wine, ["wine_type"], with_onnx=True)
    rows = _rows(wine.head(500))
    onnx = build_predictor(Backend.ONNX, lake, manifest, prefix).predict_values(rows)
    fast = build_predictor(Backend.NUMPY, lake, manifest, prefix).predict_values(rows)
    # ONNX trees hold float32 thresholds and leaf values: about 1e-6 relative error.
    np.testing.assert_allclose(onnx, fast, rtol=0, atol=1e-4)


def test_classifier_backends_agree(tmp_path: Path, wine: pd.DataFrame) -> None:
    frame = wine.sample(600, random_state=5)
    pipeline = fit_pipeline(frame, NUMERIC, ["wine_type"], "quality", n_estimators=6, classify=True)
    lake, manifest, prefix = _written(tmp_path, pipeline, frame, ["wine_type"])
    rows = _rows(frame)
    fast = build_predictor(Backend.NUMPY, lake, manifest, prefix).predict_values(rows)
    reference = build_predictor(Backend.SKLEARN, lake, manifest, prefix).predict_values(rows)
    np.testing.assert_allclose(fast, reference, atol=1e-9)


def test_nulls_are_imputed_like_the_pipeline(
    tmp_path: Path, wine: pd.DataFrame, wine_pipeline: Pipeline
) -> None:
    lake, manifest, prefix = _written(tmp_path, wine_pipeline, wine, ["wine_type"])
    rows = _rows(wine.head(20))
    for i, row in enumerate(rows):
        row["alcohol" if i % 2 else "wine_type"] = None
    fast = build_predictor(Backend.NUMPY, lake, manifest, prefix).predict_values(rows)
    reference = build_predictor(Backend.SKLEARN, lake, manifest, prefix).predict_values(rows)
    np.testing.assert_allclose(fast, reference, atol=1e-9)


def test_artifacts_with_other_bytes_are_refused(
    tmp_path: Path, wine: pd.DataFrame, wine_pipeline: Pipeline
) -> None:
    lake, manifest, prefix = _written(
        tmp_path, wine_pipeline, wine, ["wine_type"], corrupt="forest"
    )
    with pytest.raises(IntegrityError, match=r"forest\.npz"):
        build_predictor(Backend.NUMPY, lake, manifest, prefix)


def test_skops_files_with_untrusted_types_are_refused(
    tmp_path: Path, wine: pd.DataFrame, wine_pipeline: Pipeline
) -> None:
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    lake, manifest, _prefix = _written(tmp_path, wine_pipeline, wine, ["wine_type"])
    # A FunctionTransformer around a builtin is the classic "code in a model file" vector.
    data = sio.dumps(FunctionTransformer(func=eval))
    from model_api.backends.sklearn_backend import SklearnPredictor

    with pytest.raises(IntegrityError, match="does not trust"):
        SklearnPredictor(manifest, data)
    assert lake.url.startswith("file://")
