"""design.py: rows become the registry's design matrix."""

from __future__ import annotations

import numpy as np
import pytest

from model_api.design import build_design_matrix
from model_api.manifest import Preprocessing

pytestmark = pytest.mark.unit

PRE = Preprocessing.model_validate(
    {
        "numeric": [{"name": "a", "impute": 7.0}, {"name": "b", "impute": -1.0}],
        "categorical": [{"name": "kind", "categories": ["red", "white"], "impute": "white"}],
    }
)


def test_numbers_then_one_hot_in_manifest_order() -> None:
    matrix = build_design_matrix([{"kind": "red", "b": 2.5, "a": 1.0}], PRE)
    assert matrix.tolist() == [[1.0, 2.5, 1.0, 0.0]]


def test_nulls_are_imputed_and_unknown_categories_give_zeros() -> None:
    matrix = build_design_matrix(
        [{"a": None, "b": 3.0, "kind": None}, {"a": 0.0, "b": None, "kind": "rose"}], PRE
    )
    np.testing.assert_array_equal(matrix, [[7.0, 3.0, 0.0, 1.0], [0.0, -1.0, 0.0, 0.0]])
