"""Validation report, training and the registry against a real S3 server on loopback."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline import registry
from pipeline.datasets import load_dataset_spec
from pipeline.features import load_training_table
from pipeline.lake import S3Lake
from pipeline.manifest import design_matrix
from pipeline.model_export import load_forest_npz, onnx_feeds, predict_forest
from pipeline.settings import default_datasets_dir
from pipeline.validate import validate_frame, write_validation_report
from wine_lake import train_fast, wine_frame, write_curated_wine

pytestmark = pytest.mark.s3


def test_validate_train_register_on_s3(s3_lake: S3Lake) -> None:
    import onnxruntime as ort

    spec = load_dataset_spec("wine_quality", default_datasets_dir())
    report = validate_frame(wine_frame(), spec, batch_id="wine", check_row_count=True)
    index = write_validation_report(s3_lake, "wine_quality", "wine", report)
    assert index == "reports/wine_quality/validation/wine/index.html"
    assert b"<html" in s3_lake.read_bytes(index).lower()

    write_curated_wine(s3_lake)
    result = train_fast(s3_lake)
    assert result.promoted
    pointer = registry.get_champion(s3_lake, "wine_quality")
    assert pointer is not None and pointer["version"] == result.version
    manifest = json.loads(s3_lake.read_bytes(result.manifest_key))

    table = load_training_table(s3_lake, spec)
    rows = table.frame[table.features]
    model = registry.load_reference_model(s3_lake, "wine_quality", result.version)
    expected = model.predict(rows)
    forest = load_forest_npz(
        registry.verified_artifact(s3_lake, "wine_quality", result.version, "forest")
    )
    numpy_path = predict_forest(forest, design_matrix(manifest, rows))[:, 0]
    assert np.max(np.abs(numpy_path - expected)) <= 1e-9
    session = ort.InferenceSession(
        registry.verified_artifact(s3_lake, "wine_quality", result.version, "onnx"),
        providers=["CPUExecutionProvider"],
    )
    got = session.run(None, onnx_feeds(rows, table.numeric, table.categorical))[0].ravel()
    assert np.max(np.abs(got - expected)) <= 1e-4  # float32 thresholds in ONNX

    again = train_fast(s3_lake)
    assert again.search_skipped and again.metrics["holdout"] == result.metrics["holdout"]
    assert [r["version"] for r in registry.read_runs(s3_lake, "wine_quality")] == [
        result.version,
        again.version,
    ]
