"""The vectorised suite must give great-expectations' verdicts, in the same words."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.datasets import load_dataset_spec
from pipeline.fast_validate import validate_frame_fast
from pipeline.settings import PipelineSettings
from pipeline.validate import validate_frame
from testdata import RED_WINE

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def wine() -> pd.DataFrame:
    frame = pd.read_csv(RED_WINE, sep=";")
    frame.columns = [c.replace(" ", "_").lower() for c in frame.columns]
    frame["wine_type"] = pd.array(["red"] * len(frame), dtype="string")
    return frame.head(300).copy()


def corrupt(frame: pd.DataFrame, case: str) -> pd.DataFrame:
    bad = frame.copy()
    if case == "ph_40":
        bad.loc[3, "ph"] = 40.0
    elif case == "unknown_category":
        bad["wine_type"] = bad["wine_type"].astype("object")
        bad.loc[5, "wine_type"] = "rose"
        bad["wine_type"] = bad["wine_type"].astype("string")
    elif case == "null_alcohol":
        bad.loc[[1, 2], "alcohol"] = None
    elif case == "missing_target":
        bad = bad.drop(columns=["quality"])
    elif case == "fractional_quality":
        bad["quality"] = bad["quality"].astype("float64")
        bad.loc[0, "quality"] = 5.5
    return bad


@pytest.mark.parametrize(
    "case",
    ["clean", "ph_40", "unknown_category", "null_alcohol", "missing_target", "fractional_quality"],
)
def test_fast_and_great_expectations_agree(wine: pd.DataFrame, case: str) -> None:
    spec = load_dataset_spec("wine_quality", PipelineSettings().datasets_dir)
    frame = wine if case == "clean" else corrupt(wine, case)
    reference = validate_frame(frame, spec, batch_id=f"agree-{case}", build_docs=False)
    fast = validate_frame_fast(frame, spec, batch_id=f"agree-{case}")
    assert fast.success == reference.success == (case == "clean")
    assert fast.critical_failures == reference.critical_failures
    assert fast.warnings == reference.warnings
