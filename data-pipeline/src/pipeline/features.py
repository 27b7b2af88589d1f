"""Training data: curated Parquet read from the lake, model columns, the sklearn Pipeline."""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.datasets import DatasetSpec
from pipeline.lake import Lake
from pipeline.layout import curated_prefix

logger = logging.getLogger(__name__)

NUMERIC_TYPES = {"float", "integer", "boolean"}
CATEGORICAL_TYPES = {"category", "string"}


class NoTrainingDataError(LookupError):
    """The dataset has no curated data (or none with a target value) to train on."""


@dataclass
class TrainingTable:
    """The curated rows of a dataset, in model columns, with their lineage."""

    frame: pd.DataFrame
    numeric: list[str]
    categorical: list[str]
    target: str
    files: list[dict[str, str]]
    sha256: str

    @property
    def features(self) -> list[str]:
        """Model input columns, numeric first (the ColumnTransformer's output order)."""
        return [*self.numeric, *self.categorical]


def split_columns(spec: DatasetSpec, available: list[str]) -> tuple[list[str], list[str]]:
    """Numeric and categorical feature columns of `spec` present in the data.

    Datetime columns are not model inputs (a forest cannot use a raw timestamp).
    """
    numeric = [
        name
        for name in spec.feature_names
        if spec.columns[name].type in NUMERIC_TYPES and name in available
    ]
    categorical = [
        name
        for name in spec.feature_names
        if spec.columns[name].type in CATEGORICAL_TYPES and name in available
    ]
    return numeric, categorical


def to_model_frame(frame: pd.DataFrame, numeric: list[str], categorical: list[str]) -> pd.DataFrame:
    """The feature columns as the Pipeline expects them: float64 and object (NaN = missing)."""
    columns: dict[str, Any] = {}
    for name in numeric:
        columns[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    for name in categorical:
        values = frame[name].astype("object")
        columns[name] = values.where(values.notna(), np.nan).astype("object")
    return pd.DataFrame(columns, index=frame.index)


def frame_sha256(frame: pd.DataFrame) -> str:
    """A content hash of a table: column names, dtypes and every value, row order included."""
    digest = hashlib.sha256()
    digest.update("|".join(f"{c}:{frame[c].dtype}" for c in frame.columns).encode())
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    digest.update(hashed.tobytes())
    return digest.hexdigest()


def load_training_table(lake: Lake, spec: DatasetSpec) -> TrainingTable:
    """Read every curated Parquet file of the dataset into one training table.

    Rows without a target value are dropped (logged). Raises NoTrainingDataError when
    there is nothing to train on.
    """
    import pyarrow.parquet as pq

    keys = [
        info.key for info in lake.list(curated_prefix(spec.name)) if info.key.endswith(".parquet")
    ]
    if not keys:
        raise NoTrainingDataError(
            f"no curated data for dataset {spec.name!r} under {curated_prefix(spec.name)} "
            f"in {lake.url}; ingest some files first (pipeline ingest FILE --dataset {spec.name})"
        )
    parts: list[pd.DataFrame] = []
    files: list[dict[str, str]] = []
    for key in keys:
        data = lake.read_bytes(key)
        files.append({"key": key, "sha256": hashlib.sha256(data).hexdigest()})
        parts.append(pq.read_table(io.BytesIO(data)).to_pandas())
    raw = pd.concat(parts, ignore_index=True)
    if spec.target not in raw.columns:
        raise NoTrainingDataError(
            f"curated data of {spec.name!r} has no target column {spec.target!r}"
        )
    numeric, categorical = split_columns(spec, list(raw.columns))
    frame = to_model_frame(raw, numeric, categorical)
    if spec.task == "regression":
        frame[spec.target] = pd.to_numeric(raw[spec.target], errors="coerce").astype("float64")
    else:
        frame[spec.target] = raw[spec.target].astype("object")
    missing_target = int(frame[spec.target].isna().sum())
    if missing_target:
        logger.info("dropped %d rows of %s without a target value", missing_target, spec.name)
        frame = frame[frame[spec.target].notna()].reset_index(drop=True)
    if frame.empty:
        raise NoTrainingDataError(f"curated data of {spec.name!r} has no rows with a target")
    if spec.task == "classification":
        frame[spec.target] = frame[spec.target].astype(str)
    logger.info(
        "training table of %s: %d rows from %d curated files", spec.name, len(frame), len(keys)
    )
    return TrainingTable(
        frame=frame,
        numeric=numeric,
        categorical=categorical,
        target=spec.target,
        files=files,
        sha256=frame_sha256(frame),
    )


def build_pipeline(
    task: str, numeric: list[str], categorical: list[str], seed: int, **forest: Any
) -> Any:
    """The unfitted sklearn Pipeline: imputation, one-hot encoding, a random forest.

    The ColumnTransformer puts numeric columns first, then one column per category of each
    categorical feature: the design matrix docs/MODEL_FORMAT.md describes.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    transformers: list[tuple[str, Any, list[str]]] = []
    if numeric:
        transformers.append(
            ("numeric", SimpleImputer(strategy="median", keep_empty_features=True), numeric)
        )
    if categorical:
        encoder = Pipeline(
            [
                ("impute", SimpleImputer(strategy="most_frequent")),
                ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
            ]
        )
        transformers.append(("categorical", encoder, categorical))
    forest_class = RandomForestRegressor if task == "regression" else RandomForestClassifier
    return Pipeline(
        [
            ("preprocess", ColumnTransformer(transformers, remainder="drop")),
            ("forest", forest_class(random_state=seed, n_jobs=1, **forest)),
        ]
    )
