"""The dataset's expectation suite evaluated with vectorised pandas, for big files.

great-expectations runs on the first block of every file (and on the whole file for
files of up to `validation_rows` rows), writing the Data Docs. Its cost is about a
second per call plus a per-row Python `map` for range checks, so later blocks of a big
file are checked by this module instead: the same expectations, built from the same
declaration, reported in the same words. Tests run both evaluators on the same frames and
require the same verdicts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pipeline.datasets import ColumnSpec, DatasetSpec
from pipeline.validate import TYPE_LISTS, ValidationReport, prepare_frame
from pipeline.validate_messages import describe_failure, json_safe

EXAMPLES = 20


def _dtype_names(series: pd.Series) -> set[str]:
    return {str(series.dtype), type(series.dtype).__name__}


def _entry(
    expectation: str,
    name: str,
    column: ColumnSpec,
    kwargs: dict[str, Any],
    failed: np.ndarray | None,
    values: pd.Series,
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    success = True
    if failed is not None:
        count = int(np.count_nonzero(failed))
        success = count == 0
        examples = values[failed].head(EXAMPLES).tolist() if count else []
        result = {
            "element_count": len(values),
            "unexpected_count": count,
            "partial_unexpected_list": json_safe(examples),
        }
    return {
        "expectation": expectation,
        "column": name,
        "severity": column.severity,
        "declared_type": column.type,
        "success": success,
        "kwargs": json_safe({"column": name, **kwargs}),
        "result": result,
    }


def _outside_range(values: pd.Series, present: np.ndarray, column: ColumnSpec) -> np.ndarray:
    """Rows whose value is outside [min, max], or present but not a number."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iuf":
        # Plain numpy numbers: compare the array itself (NaN compares False: absent).
        numbers = values.to_numpy()
        not_numbers = None
    else:
        numeric = pd.to_numeric(values, errors="coerce")
        numbers = numeric.to_numpy(dtype="float64", na_value=np.nan)
        not_numbers = present & np.isnan(numbers)
    outside = np.zeros(len(values), dtype=bool)
    if column.min is not None:
        outside |= numbers < column.min
    if column.max is not None:
        outside |= numbers > column.max
    if not_numbers is not None:
        outside |= not_numbers  # text in a numeric range check
    return outside


def _column_entries(name: str, column: ColumnSpec, frame: pd.DataFrame) -> list[dict[str, Any]]:
    if name not in frame.columns:
        missing = _entry("expect_column_to_exist", name, column, {}, None, pd.Series())
        missing["success"] = False
        return [missing]
    values = frame[name]
    present = values.notna().to_numpy(dtype=bool)
    type_entry = _entry(
        "expect_column_values_to_be_in_type_list",
        name,
        column,
        {"type_list": TYPE_LISTS[column.type]},
        None,
        values,
    )
    type_entry["success"] = bool(_dtype_names(values) & set(TYPE_LISTS[column.type]))
    entries = [type_entry]
    if not column.nullable:
        entries.append(
            _entry("expect_column_values_to_not_be_null", name, column, {}, ~present, values)
        )
    if column.min is not None or column.max is not None:
        entries.append(
            _entry(
                "expect_column_values_to_be_between",
                name,
                column,
                {"min_value": column.min, "max_value": column.max},
                _outside_range(values, present, column),
                values,
            )
        )
    if column.categories is not None:
        known = values.astype("string").isin(column.categories).to_numpy(dtype=bool, na_value=False)
        entries.append(
            _entry(
                "expect_column_values_to_be_in_set",
                name,
                column,
                {"value_set": list(column.categories)},
                present & ~known,
                values,
            )
        )
    return entries


def validate_frame_fast(
    frame: pd.DataFrame, spec: DatasetSpec, *, batch_id: str
) -> ValidationReport:
    """Check `frame` against the suite `spec` implies; same verdicts and words as GX.

    No Data Docs are produced (`data_docs` is empty); the row-count expectation is a
    whole-file property and is not checked here.
    """
    prepared = prepare_frame(frame)
    critical: list[str] = []
    warnings: list[str] = []
    results: list[dict[str, Any]] = []
    for name, column in spec.columns.items():
        entries = _column_entries(name, column, prepared)
        results.extend(entries)
        for entry in entries:
            if not entry["success"]:
                message = describe_failure(entry, frame, len(frame))
                (critical if column.severity == "critical" else warnings).append(message)
    return ValidationReport(
        dataset=spec.name,
        batch_id=batch_id,
        rows=len(frame),
        success=not critical,
        critical_failures=critical,
        warnings=warnings,
        results=results,
        data_docs={},
    )
