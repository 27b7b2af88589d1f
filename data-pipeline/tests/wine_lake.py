"""Curated wine data in a lake for training tests, built straight from the sample CSVs.

Training tests do not depend on ingest: the frame is cleaned here the way ingest cleans it
(snake_case names, typed columns, the Hive path column wine_type as a string).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline.clean import clean_column_name
from pipeline.lake import Lake
from testdata import RED_WINE, WHITE_WINE

if TYPE_CHECKING:
    from pipeline.train import TrainResult

# A small search space so unit tests train in seconds; the quality test uses the default.
FAST_SPACE = {"n_estimators": [12, 16], "max_features": [0.5], "min_samples_leaf": [1, 2]}


@cache
def _wine(kind: str) -> pd.DataFrame:
    path = RED_WINE if kind == "red" else WHITE_WINE
    frame = pd.read_csv(path, sep=";")
    frame.columns = [clean_column_name(name) for name in frame.columns]
    frame["quality"] = frame["quality"].astype("Int64")
    frame["wine_type"] = pd.Series([kind] * len(frame), dtype="string")
    return frame


def wine_frame(kind: str = "both") -> pd.DataFrame:
    """The cleaned wine data: "red", "white" or "both" (red rows first)."""
    if kind == "both":
        return pd.concat([_wine("red"), _wine("white")], ignore_index=True)
    return _wine(kind).copy()


def write_curated(lake: Lake, frame: pd.DataFrame, name: str, dataset: str = "wine_quality") -> str:
    """Store `frame` as curated Parquet `curated/<dataset>/<name>.parquet`; returns the key."""
    key = f"curated/{dataset}/{name}.parquet"
    lake.write_bytes(key, frame.to_parquet(index=False))
    return key


def write_curated_wine(lake: Lake) -> list[str]:
    """Both sample files as curated Parquet, one file per wine type (as ingest writes them)."""
    return [
        write_curated(lake, wine_frame("red"), "wine_type=red/part-red"),
        write_curated(lake, wine_frame("white"), "wine_type=white/part-white"),
    ]


def train_fast(lake: Lake, **kwargs: Any) -> TrainResult:
    """Train wine_quality with the small search space (seconds, not minutes)."""
    from pipeline.datasets import load_dataset_spec
    from pipeline.settings import PipelineSettings, default_datasets_dir
    from pipeline.train import train_dataset

    spec = load_dataset_spec("wine_quality", default_datasets_dir())
    settings = PipelineSettings(lake_url=lake.url)
    options: dict[str, Any] = {"search_budget": 2, "search_space": FAST_SPACE, **kwargs}
    return train_dataset(lake, spec, settings, **options)
