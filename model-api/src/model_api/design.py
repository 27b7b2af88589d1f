"""Request rows -> the design matrix the trees were fitted on (MODEL_FORMAT.md, 'design matrix')."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from model_api.manifest import Preprocessing


def build_design_matrix(
    rows: Sequence[Mapping[str, Any]], preprocessing: Preprocessing
) -> npt.NDArray[np.float64]:
    """Numeric columns (None -> impute), then one-hot columns per categorical feature.

    Mirrors the registry's ColumnTransformer: median imputation for numbers, most-frequent
    imputation then `OneHotEncoder(handle_unknown="ignore")` for categories (an unknown
    category gives all zeros; the request schema refuses those before they get here).
    """
    n_rows = len(rows)
    matrix = np.zeros((n_rows, preprocessing.width), dtype=np.float64)
    column = 0
    for step in preprocessing.numeric:
        name, impute = step.name, step.impute
        values = [row.get(name) for row in rows]
        matrix[:, column] = [impute if v is None else v for v in values]
        column += 1
    for cat in preprocessing.categorical:
        index = {category: i for i, category in enumerate(cat.categories)}
        for r, row in enumerate(rows):
            value = row.get(cat.name)
            position = index.get(cat.impute if value is None else value)
            if position is not None:
                matrix[r, column + position] = 1.0
        column += len(cat.categories)
    return matrix
