"""Test-side registry writer: fits small scikit-learn forests and writes them per MODEL_FORMAT.md.

The real writer is data-pipeline's registry; this helper exists so model-api's tests can
also produce versions the pipeline would not (other features, a classifier, corrupt files).
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

REPO = Path(__file__).resolve().parents[2]
WINE_DIR = REPO / "data-pipeline" / "sample-data" / "wine_quality"
NUMERIC = [
    "fixed_acidity",
    "volatile_acidity",
    "citric_acid",
    "residual_sugar",
    "chlorides",
    "free_sulfur_dioxide",
    "total_sulfur_dioxide",
    "density",
    "ph",
    "sulphates",
    "alcohol",
]
BANDS = [
    {"label": "Poor", "below": 5},
    {"label": "Average", "below": 7},
    {"label": "Good", "below": None},
]

Put = Callable[[str, bytes], None]


def snake(name: str) -> str:
    """CONTRACTS.md's column-name rule."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def load_wine() -> pd.DataFrame:
    """The bundled red + white wine data with cleaned column names and `wine_type`."""
    frames = []
    for wine_type in ("red", "white"):
        path = next((WINE_DIR / f"wine_type={wine_type}").glob("*.csv"))
        frame = pd.read_csv(path, sep=";")
        frame.columns = [snake(c) for c in frame.columns]
        frame["wine_type"] = wine_type
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def fit_pipeline(
    frame: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    target: str,
    *,
    n_estimators: int = 20,
    classify: bool = False,
    seed: int = 0,
) -> Pipeline:
    """The registry's Pipeline shape: imputers + one-hot, then a random forest."""
    pre = ColumnTransformer(
        [
            ("num", SimpleImputer(strategy="median"), numeric),
            (
                "cat",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore")),
                    ]
                ),
                categorical,
            ),
        ]
    )
    forest_cls = RandomForestClassifier if classify else RandomForestRegressor
    forest = forest_cls(n_estimators=n_estimators, max_features=0.5, random_state=seed, n_jobs=1)
    pipeline = Pipeline([("pre", pre), ("model", forest)])
    pipeline.fit(frame[numeric + categorical], frame[target])
    return pipeline


def forest_npz(pipeline: Pipeline) -> bytes:
    """forest.npz bytes for the pipeline's fitted forest."""
    forest = pipeline.named_steps["model"]
    trees = [est.tree_ for est in forest.estimators_]
    classify = isinstance(forest, RandomForestClassifier)
    values = []
    for tree in trees:
        value = tree.value[:, 0, :] if classify else tree.value[:, :, 0]
        if classify:
            value = value / value.sum(axis=1, keepdims=True)
        values.append(value)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        node_offset=np.concatenate([[0], np.cumsum([t.node_count for t in trees])]).astype(
            np.int64
        ),
        children_left=np.concatenate([t.children_left for t in trees]).astype(np.int64),
        children_right=np.concatenate([t.children_right for t in trees]).astype(np.int64),
        feature=np.concatenate([t.feature for t in trees]).astype(np.int64),
        threshold=np.concatenate([t.threshold for t in trees]).astype(np.float64),
        value=np.concatenate(values).astype(np.float64),
        n_features=np.int64(forest.n_features_in_),
    )
    return buffer.getvalue()


def skops_bytes(pipeline: Pipeline) -> bytes:
    """model.skops bytes."""
    import skops.io as sio

    return bytes(sio.dumps(pipeline))


def onnx_bytes(pipeline: Pipeline, numeric: list[str], categorical: list[str]) -> bytes:
    """model.onnx bytes (one input per feature, as skl2onnx converts a ColumnTransformer)."""
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    types = [(n, FloatTensorType([None, 1])) for n in numeric]
    types += [(c, StringTensorType([None, 1])) for c in categorical]
    # skl2onnx converts a string imputer only with a string missing marker (as the registry).
    exported = copy.deepcopy(pipeline)
    if categorical:
        cat = exported.named_steps["pre"].named_transformers_["cat"]
        cat.named_steps["impute"].missing_values = ""
    forest = exported.named_steps["model"]
    options = {id(forest): {"zipmap": False}} if hasattr(forest, "classes_") else None
    return bytes(to_onnx(exported, initial_types=types, options=options).SerializeToString())


def sha(data: bytes) -> str:
    """Hex sha256."""
    return hashlib.sha256(data).hexdigest()


def make_version(seed: int) -> str:
    """A version name in the registry's format, sorting by time."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"v{stamp}-{sha(str(seed).encode())[:8]}"


def write_version(
    put: Put,
    pipeline: Pipeline,
    frame: pd.DataFrame,
    numeric: list[str],
    categorical: list[str],
    *,
    dataset: str = "wine_quality",
    target: str = "quality",
    version: str,
    with_onnx: bool = False,
    bands: list[dict[str, Any]] | None = BANDS,
    corrupt: str | None = None,
) -> dict[str, Any]:
    """Write a version folder and return its manifest (champion.json is separate).

    `corrupt` names an artifact whose bytes are altered after hashing (sha256 mismatch).
    """
    prefix = f"models/{dataset}/{version}"
    pre = pipeline.named_steps["pre"]
    num_imputer = pre.named_transformers_["num"]
    cat_pipe = pre.named_transformers_["cat"] if categorical else None
    forest = pipeline.named_steps["model"]
    classify = isinstance(forest, RandomForestClassifier)
    artifacts = {
        "forest": ("forest.npz", forest_npz(pipeline)),
        "skops": ("model.skops", skops_bytes(pipeline)),
    }
    if with_onnx:
        artifacts["onnx"] = ("model.onnx", onnx_bytes(pipeline, numeric, categorical))
    entries = {}
    for kind, (name, data) in artifacts.items():
        entries[kind] = {"path": name, "sha256": sha(data), "bytes": len(data)}
        put(f"{prefix}/{name}", data + b"corrupt" if corrupt == kind else data)
    features: list[dict[str, Any]] = [
        {
            "name": n,
            "type": "number",
            "min": float(frame[n].min()),
            "max": float(frame[n].max()),
            "nullable": False,
        }
        for n in numeric
    ]
    features += [
        {"name": c, "type": "category", "categories": sorted(frame[c].unique()), "nullable": False}
        for c in categorical
    ]
    example_row = frame.iloc[0]
    example = {n: float(example_row[n]) for n in numeric}
    example.update({c: str(example_row[c]) for c in categorical})
    manifest = {
        "schema_version": 1,
        "dataset": dataset,
        "version": version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "task": "classification" if classify else "regression",
        "target": target,
        "features": features,
        "classes": [int(c) for c in forest.classes_] if classify else None,
        "rating_bands": None if classify else bands,
        "example": example,
        "preprocessing": {
            "numeric": [
                {"name": n, "impute": float(v)}
                for n, v in zip(numeric, num_imputer.statistics_, strict=True)
            ],
            "categorical": [
                {"name": c, "categories": [str(x) for x in cats], "impute": str(imp)}
                for c, cats, imp in zip(
                    categorical,
                    cat_pipe.named_steps["onehot"].categories_,
                    cat_pipe.named_steps["impute"].statistics_,
                    strict=True,
                )
            ]
            if cat_pipe is not None
            else [],
        },
        "artifacts": entries,
        "metrics": {"holdout": {"r2": 0.4}},
        "params": {"n_estimators": len(forest.estimators_)},
    }
    put(f"{prefix}/manifest.json", json.dumps(manifest, indent=2).encode())
    return manifest


def promote(put: Put, manifest: dict[str, Any], manifest_bytes: bytes | None = None) -> None:
    """Point champion.json at the manifest's version."""
    dataset, version = manifest["dataset"], manifest["version"]
    data = manifest_bytes if manifest_bytes is not None else json.dumps(manifest, indent=2).encode()
    champion = {
        "dataset": dataset,
        "version": version,
        "manifest": f"models/{dataset}/{version}/manifest.json",
        "manifest_sha256": sha(data),
        "promoted_at": manifest["created_at"],
        "reason": "test",
        "previous": None,
    }
    put(f"models/{dataset}/champion.json", json.dumps(champion).encode())


def file_put(root: Path) -> Put:
    """A `put` writing under a local lake root (atomic rename, as the registry does)."""

    def put(key: str, data: bytes) -> None:
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)

    return put
