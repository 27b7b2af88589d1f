"""Serialise a fitted Pipeline into formats that cannot run code when loaded.

forest.npz (plain arrays, the serving format), model.skops (the Pipeline, loaded only with
an explicit trusted-types list) and model.onnx (interop; float32 thresholds). See
docs/MODEL_FORMAT.md for the exact contents.
"""

from __future__ import annotations

import copy
import io
import zipfile
from typing import Any

import numpy as np

# Types a model.skops written by this module may contain beyond skops' own defaults.
# A reader refuses any file holding a type outside this list.
TRUSTED_TYPES = [
    "numpy.dtype",
    "numpy.ndarray",
    "sklearn.compose._column_transformer.ColumnTransformer",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.ensemble._forest.RandomForestRegressor",
    "sklearn.impute._base.SimpleImputer",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._encoders.OneHotEncoder",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._tree.Tree",
]


def forest_of(pipeline: Any) -> Any:
    """The fitted random forest at the end of the Pipeline."""
    return pipeline.steps[-1][1]


def design_width(pipeline: Any) -> int:
    """Number of columns the ColumnTransformer produces (the trees' input width)."""
    return int(forest_of(pipeline).n_features_in_)


def forest_arrays(pipeline: Any) -> dict[str, np.ndarray]:
    """The forest's trees as the arrays of forest.npz (nodes concatenated tree by tree)."""
    forest = forest_of(pipeline)
    trees = [estimator.tree_ for estimator in forest.estimators_]
    offsets = np.zeros(len(trees) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([tree.node_count for tree in trees])
    values = []
    for tree in trees:
        # tree_.value is (nodes, outputs, classes): one output here, so keep the last axis;
        # regression has a single "class" column holding the leaf mean.
        values.append(np.asarray(tree.value[:, 0, :], dtype=np.float64))
    return {
        "node_offset": offsets,
        "children_left": np.concatenate([t.children_left for t in trees]).astype(np.int64),
        "children_right": np.concatenate([t.children_right for t in trees]).astype(np.int64),
        "feature": np.concatenate([t.feature for t in trees]).astype(np.int64),
        "threshold": np.concatenate([t.threshold for t in trees]).astype(np.float64),
        "value": np.concatenate(values, axis=0),
        "n_features": np.asarray(design_width(pipeline), dtype=np.int64),
    }


def forest_npz_bytes(pipeline: Any) -> bytes:
    """forest.npz as bytes (uncompressed: loads fastest, zip-deflate saves little)."""
    buffer = io.BytesIO()
    np.savez(buffer, **forest_arrays(pipeline))  # type: ignore[arg-type]
    return buffer.getvalue()


def load_forest_npz(data: bytes) -> dict[str, np.ndarray]:
    """The arrays of a forest.npz (never unpickles)."""
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def predict_forest(arrays: dict[str, np.ndarray], design: np.ndarray) -> np.ndarray:
    """Mean leaf value over the trees for each row of the design matrix (pure numpy).

    Returns shape (rows, value columns): column 0 is the regression prediction; for
    classification the columns are class probabilities.
    """
    x = np.asarray(design, dtype=np.float64).astype(np.float32).astype(np.float64)
    if x.shape[1] != int(arrays["n_features"]):
        raise ValueError(
            f"design matrix has {x.shape[1]} columns, forest expects {arrays['n_features']}"
        )
    offsets = arrays["node_offset"]
    left, right = arrays["children_left"], arrays["children_right"]
    feature, threshold, value = arrays["feature"], arrays["threshold"], arrays["value"]
    total = np.zeros((x.shape[0], value.shape[1]), dtype=np.float64)
    rows = np.arange(x.shape[0])
    for t in range(len(offsets) - 1):
        base = int(offsets[t])
        node = np.full(x.shape[0], base, dtype=np.int64)
        active = left[node] != -1
        while active.any():
            idx = node[active]
            go_left = x[rows[active], feature[idx]] <= threshold[idx]
            node[active] = base + np.where(go_left, left[idx], right[idx])
            active = left[node] != -1
        total += value[node]
    return total / (len(offsets) - 1)


def skops_bytes(pipeline: Any) -> bytes:
    """The Pipeline in skops format (a zip of JSON and arrays)."""
    import skops.io as sio

    buffer = io.BytesIO()
    sio.dump(pipeline, buffer, compression=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


class UntrustedModelError(ValueError):
    """A model.skops holding types outside the trusted list."""


def load_skops(data: bytes) -> Any:
    """Load a model.skops written by `skops_bytes`, refusing any type not in TRUSTED_TYPES."""
    import skops.io as sio

    untrusted = set(sio.get_untrusted_types(data=data)) - set(TRUSTED_TYPES)
    if untrusted:
        raise UntrustedModelError(
            "model.skops holds types outside the trusted list, refusing to load it: "
            + ", ".join(sorted(untrusted))
        )
    return sio.loads(data, trusted=sorted(set(sio.get_untrusted_types(data=data))))


def onnx_input_types(numeric: list[str], categorical: list[str]) -> list[tuple[str, Any]]:
    """One ONNX input per feature: float32 [N, 1] for numbers, string [N, 1] for categories."""
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    return [(name, FloatTensorType([None, 1])) for name in numeric] + [
        (name, StringTensorType([None, 1])) for name in categorical
    ]


def onnx_bytes(pipeline: Any, numeric: list[str], categorical: list[str]) -> bytes:
    """The Pipeline as ONNX (float32 inputs and thresholds; classifiers without zipmap).

    skl2onnx converts a string SimpleImputer only when its missing marker is a string, so
    the exported copy treats "" as missing: ONNX callers pass a missing category as "".
    """
    from skl2onnx import convert_sklearn

    exported = copy.deepcopy(pipeline)
    preprocess = exported.steps[0][1]
    if categorical:
        preprocess.named_transformers_["categorical"].named_steps["impute"].missing_values = ""
    options = None
    if hasattr(forest_of(exported), "classes_"):
        options = {id(forest_of(exported)): {"zipmap": False}}
    model = convert_sklearn(
        exported, initial_types=onnx_input_types(numeric, categorical), options=options
    )
    return bytes(model.SerializeToString())


def onnx_feeds(frame: Any, numeric: list[str], categorical: list[str]) -> dict[str, np.ndarray]:
    """ONNX Runtime inputs for a model frame (missing categories become "")."""
    feeds: dict[str, np.ndarray] = {}
    for name in numeric:
        feeds[name] = frame[[name]].to_numpy(dtype=np.float32)
    for name in categorical:
        feeds[name] = frame[[name]].fillna("").astype(str).to_numpy(dtype=object)
    return feeds
