"""The great-expectations expectations a dataset declaration implies, and the frame GX sees."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.datasets import ColumnSpec, DatasetSpec

TABLE = "table"

# great-expectations matches a pandas dtype against these names; the frame handed to it is
# normalised first (category, pandas-3 `str`, object text -> "string"; tz-aware -> UTC
# naive) because its type check does not recognise those spellings of the same type.
_INTEGER_TYPES = [
    "Int64Dtype", "Int32Dtype", "Int16Dtype", "Int8Dtype",
    "UInt64Dtype", "UInt32Dtype", "UInt16Dtype", "UInt8Dtype",
    "int64", "int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8",
]  # fmt: skip
TYPE_LISTS: dict[str, list[str]] = {
    # Whole numbers are valid values of a float column.
    "float": ["float64", "float32", "Float64Dtype", "Float32Dtype", *_INTEGER_TYPES],
    "integer": _INTEGER_TYPES,
    "boolean": ["BooleanDtype", "bool"],
    "string": ["StringDtype"],
    "category": ["StringDtype"],
    "datetime": ["datetime64[ns]", "datetime64[us]", "datetime64[ms]", "datetime64[s]"],
}


def _expectations_module() -> Any:
    # Typed as Any: great-expectations builds its expectation classes dynamically, and
    # mypy cannot see them as exported names.
    from pipeline.gx_import import wait_for_background_import

    wait_for_background_import()
    import great_expectations.expectations

    return great_expectations.expectations


def _column_expectations(name: str, column: ColumnSpec) -> list[Any]:
    gxe = _expectations_module()

    meta = {"severity": column.severity, "column": name}
    found: list[Any] = [
        gxe.ExpectColumnToExist(column=name, meta=meta),
        gxe.ExpectColumnValuesToBeInTypeList(
            column=name, type_list=TYPE_LISTS[column.type], meta={**meta, "type": column.type}
        ),
    ]
    if not column.nullable:
        found.append(gxe.ExpectColumnValuesToNotBeNull(column=name, meta=meta))
    if column.min is not None or column.max is not None:
        found.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=name, min_value=column.min, max_value=column.max, meta=meta
            )
        )
    if column.categories is not None:
        found.append(
            gxe.ExpectColumnValuesToBeInSet(column=name, value_set=column.categories, meta=meta)
        )
    return found


def build_expectations(spec: DatasetSpec, *, check_row_count: bool) -> list[Any]:
    """The great-expectations expectations a dataset's declaration implies.

    Per column: exists, type, not null (unless nullable), within min/max, in the allowed
    categories; with `check_row_count`, the table has at least `spec.min_rows` rows (a
    property of a whole file, not of one chunk).
    """
    gxe = _expectations_module()

    found: list[Any] = []
    for name, column in spec.columns.items():
        found.extend(_column_expectations(name, column))
    if check_row_count and spec.min_rows > 0:
        found.append(
            gxe.ExpectTableRowCountToBeBetween(
                min_value=spec.min_rows, meta={"severity": "critical", "column": TABLE}
            )
        )
    return found


def _is_other_text(series: pd.Series) -> bool:
    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        return bool(dtype != pd.StringDtype())
    return pd.api.types.is_object_dtype(dtype) and pd.api.types.infer_dtype(
        series, skipna=True
    ) in {"string", "empty"}


def prepare_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as great-expectations should see it: same values, dtypes it recognises."""
    prepared = frame.copy(deep=False)
    for name in prepared.columns:
        series = prepared[name]
        dtype = series.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            prepared[name] = series.astype("string")
        elif isinstance(dtype, pd.DatetimeTZDtype):
            prepared[name] = series.dt.tz_convert("UTC").dt.tz_localize(None)
        elif _is_other_text(series):
            prepared[name] = series.astype("string")
        elif isinstance(dtype, pd.Int64Dtype) and not series.hasnans:
            # Same values and an integer type either way, but great-expectations checks
            # ranges of numpy int64 vectorised and of nullable Int64 with a per-row
            # Python call (a second per 300k rows).
            prepared[name] = series.astype("int64")
    return prepared
