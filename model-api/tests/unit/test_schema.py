"""schema.py: request models generated from the manifest."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import ValidationError

from model_api.manifest import Manifest
from model_api.schema import build_request_schema, is_batch

pytestmark = pytest.mark.unit


def manifest(**changes: Any) -> Manifest:
    """A minimal valid manifest with a number, an integer and a category."""
    data: dict[str, Any] = {
        "schema_version": 1,
        "dataset": "d",
        "version": "v20260101T000000Z-00000000",
        "task": "regression",
        "target": "y",
        "features": [
            {"name": "x", "type": "number"},
            {"name": "n", "type": "integer"},
            {"name": "c", "type": "category", "categories": ["p", "q"]},
        ],
        "example": {"x": 1.5, "n": 2, "c": "p"},
        "preprocessing": {
            "numeric": [{"name": "x", "impute": 0.0}, {"name": "n", "impute": 0.0}],
            "categorical": [{"name": "c", "categories": ["p", "q"], "impute": "p"}],
        },
        "artifacts": {},
    }
    data.update(changes)
    return Manifest.model_validate(data)


def errors_of(payload: Any, **changes: Any) -> dict[str, str]:
    schema = build_request_schema(manifest(**changes), max_batch=3)
    with pytest.raises(ValidationError) as caught:
        schema.row.model_validate(payload)
    return {str(e["loc"][-1]): e["type"] for e in caught.value.errors()}


def test_valid_row_passes_and_ints_are_accepted_as_numbers() -> None:
    schema = build_request_schema(manifest(), max_batch=3)
    assert schema.row.model_validate({"x": 2, "n": 3, "c": "q"}).model_dump() == {
        "x": 2.0,
        "n": 3,
        "c": "q",
    }


def test_each_offending_field_is_named() -> None:
    found = errors_of({"x": "1.5", "c": "z", "extra": 1})
    assert found == {
        "x": "float_type",
        "n": "missing",
        "c": "literal_error",
        "extra": "extra_forbidden",
    }


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused(value: float) -> None:
    assert errors_of({"x": value, "n": 1, "c": "p"}) == {"x": "finite_number"}


def test_booleans_and_fractions_are_not_integers() -> None:
    assert errors_of({"x": True, "n": 1.5, "c": "p"}) == {"x": "float_type", "n": "int_type"}


def test_nullable_features_accept_null_but_stay_required() -> None:
    changes = {
        "features": [
            {"name": "x", "type": "number", "nullable": True},
            {"name": "n", "type": "integer"},
            {"name": "c", "type": "category", "categories": ["p", "q"]},
        ]
    }
    schema = build_request_schema(manifest(**changes), max_batch=3)
    assert schema.row.model_validate({"x": None, "n": 1, "c": "p"}).model_dump()["x"] is None
    assert errors_of({"n": 1, "c": "p"}, **changes) == {"x": "missing"}


def test_batch_limit_and_batch_detection() -> None:
    m = manifest()
    schema = build_request_schema(m, max_batch=3)
    row = {"x": 1.0, "n": 1, "c": "p"}
    assert len(schema.batch.model_validate({"instances": [row] * 3}).instances) == 3  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="at most 3"):
        schema.batch.model_validate({"instances": [row] * 4})
    assert is_batch({"instances": []}, m)
    assert not is_batch(row, m)


def test_json_schema_shows_features_and_example() -> None:
    schemas = build_request_schema(manifest(), max_batch=3).json_schemas()
    features = schemas["Features"]
    assert set(features["required"]) == {"x", "n", "c"}
    assert features["properties"]["c"]["enum"] == ["p", "q"]
    assert features["additionalProperties"] is False
    assert features["example"] == {"x": 1.5, "n": 2, "c": "p"}
    assert schemas["Batch"]["properties"]["instances"]["maxItems"] == 3


def test_manifest_consistency_is_checked() -> None:
    with pytest.raises(ValidationError, match="example lacks"):
        manifest(example={"x": 1.0})
    with pytest.raises(ValidationError, match="not in the manifest"):
        manifest(preprocessing={"numeric": [{"name": "zz", "impute": 0.0}]})


def test_rating_is_the_first_band_whose_bound_exceeds_the_prediction() -> None:
    m = manifest(
        rating_bands=[
            {"label": "Poor", "below": 5},
            {"label": "Average", "below": 7},
            {"label": "Good", "below": None},
        ]
    )
    assert [m.rating(p) for p in (4.99, 5.0, 6.99, 7.0, 9.5)] == [
        "Poor",
        "Average",
        "Average",
        "Good",
        "Good",
    ]
