"""Plain-words messages for failed expectations, and JSON-safe copies of their results."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd


def json_safe(value: Any) -> Any:
    """`value` with numpy/pandas scalars, NA and dates turned into plain JSON values."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _examples(result: dict[str, Any]) -> str:
    values = result.get("partial_unexpected_list") or []
    unique: list[Any] = []
    for value in values:
        if value not in unique:
            unique.append(value)
    if not unique:
        return ""
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in unique[:3])
    return f" (e.g. {shown})"


def _arguments(expectation: str, kwargs: dict[str, Any], meta_type: str | None) -> str:
    if expectation == "expect_column_values_to_be_between":
        parts = []
        if kwargs.get("min_value") is not None:
            parts.append(f"min {kwargs['min_value']}")
        if kwargs.get("max_value") is not None:
            parts.append(f"max {kwargs['max_value']}")
        return f"({', '.join(parts)})"
    if expectation == "expect_column_values_to_be_in_set":
        return f"({', '.join(str(v) for v in kwargs.get('value_set') or [])})"
    if expectation == "expect_column_values_to_be_in_type_list":
        return f"({meta_type})" if meta_type else ""
    if expectation == "expect_table_row_count_to_be_between":
        return f"(min {kwargs.get('min_value')})"
    return ""


def describe_failure(entry: dict[str, Any], frame: pd.DataFrame, rows: int) -> str:
    """One line naming the failed expectation, its column and what was wrong.

    Example: "ph: expect_column_values_to_be_between(min 2.0, max 5.0) failed for 1 of
    1599 rows (e.g. 40.0)".
    """
    expectation = str(entry["expectation"])
    column = str(entry["column"])
    kwargs: dict[str, Any] = entry.get("kwargs") or {}
    result: dict[str, Any] = entry.get("result") or {}
    declared = entry.get("declared_type")
    head = f"{column}: {expectation}{_arguments(expectation, kwargs, declared)} failed"
    if expectation == "expect_column_to_exist":
        return f"{head}: the column is missing"
    if expectation == "expect_column_values_to_be_in_type_list":
        observed = str(frame[column].dtype) if column in frame.columns else "missing"
        return f"{head}: the column's type is {observed}"
    if expectation == "expect_table_row_count_to_be_between":
        return f"{head}: the batch has {result.get('observed_value', rows)} rows"
    unexpected = result.get("unexpected_count")
    if unexpected is not None:
        total = result.get("element_count", rows)
        examples = "" if expectation.endswith("_not_be_null") else _examples(result)
        return f"{head} for {unexpected} of {total} rows{examples}"
    return f"{head}: the check could not run on this column (wrong type?)"
