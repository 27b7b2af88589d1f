"""Cleaning rules: column names, missing markers, types. Pure functions on DataFrames."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

# Cells that mean "no value" in real files (compared after trimming, case-sensitive as
# pandas does; both spellings people use are listed).
MISSING_MARKERS = [
    "", "NA", "N/A", "n/a", "na", "NaN", "nan", "NULL", "null", "Null", "None", "none",
    "-", "--", "?", "#N/A", "#NA", "(null)", ".",
]  # fmt: skip

_TRUE = {"true", "yes", "y", "t"}
_FALSE = {"false", "no", "n", "f"}
_NON_NAME = re.compile(r"[^a-z0-9]+")

# Tried in order; a format is used only when (almost) every value parses with it and no
# other format with a different day/month order also parses them all (ambiguous -> text).
_DATE_FORMATS = [
    ("%Y-%m-%d", "iso"),
    ("%Y-%m-%d %H:%M:%S", "iso"),
    ("%Y-%m-%dT%H:%M:%S", "iso"),
    ("%Y-%m-%d %H:%M", "iso"),
    ("%Y/%m/%d", "iso"),
    ("%d.%m.%Y", "dmy"),
    ("%d/%m/%Y", "dmy"),
    ("%m/%d/%Y", "mdy"),
    ("%d-%m-%Y", "dmy"),
]

LogicalType = Literal["float", "integer", "boolean", "string", "category", "datetime"]


def clean_column_name(name: object) -> str:
    """snake_case per CONTRACTS.md: lower-case, runs of non [a-z0-9] become one `_`, trimmed."""
    return _NON_NAME.sub("_", str(name).strip().lower()).strip("_")


def clean_column_names(names: list[object]) -> tuple[list[str], list[str]]:
    """Clean every name; empty ones become `column_<n>`, collisions get `_2`, `_3`...

    Returns the names and plain-words notes on every rename that was not the plain rule.
    """
    cleaned: list[str] = []
    notes: list[str] = []
    seen: dict[str, int] = {}
    for position, raw in enumerate(names, start=1):
        name = clean_column_name(raw)
        if not name:
            name = f"column_{position}"
            notes.append(f"column {position} has no usable name; called it {name}")
        if name in seen:
            seen[name] += 1
            renamed = f"{name}_{seen[name]}"
            notes.append(
                f"column {position} ({raw!r}) collides with another after cleaning; "
                f"called it {renamed}"
            )
            name = renamed
        seen.setdefault(name, 1)
        cleaned.append(name)
    return cleaned, notes


def strip_text(frame: pd.DataFrame, *, markers_parsed_as_missing: bool = False) -> pd.DataFrame:
    """Trim surrounding whitespace in every text column and turn missing markers into NA.

    `markers_parsed_as_missing`: the frame comes from `read_csv` with `MISSING_MARKERS` as
    its NA values, so a marker can only appear once a value is trimmed. A column with no
    value to trim (and no empty one) is then left as it is, without trimming or looking
    for markers: on a typical text column that is 5x less work.
    """
    for column in frame.columns:
        series = frame[column]
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            text = series.astype("string")
            if markers_parsed_as_missing and not _may_change_when_stripped(text):
                frame[column] = text
                continue
            stripped = text.str.strip()
            frame[column] = stripped.mask(stripped.isin(MISSING_MARKERS))
    return frame


def _may_change_when_stripped(text: pd.Series) -> bool:
    """False only if no value is empty or starts or ends with whitespace (or non-ASCII).

    Reads the first and last byte of every value from the Arrow buffers; any doubt (not
    Arrow-backed, an empty value, a control or non-ASCII byte at either end) says True.
    """
    dtype = text.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return True
    chunked = text.array.__arrow_array__()
    for chunk in chunked.chunks:
        values = len(chunk)
        if values == 0:
            continue
        if str(chunk.type) not in {"string", "large_string"}:
            return True
        width = np.dtype(np.int64 if str(chunk.type) == "large_string" else np.int32)
        _, offset_buffer, data_buffer = chunk.buffers()
        offsets = np.frombuffer(
            offset_buffer, width, values + 1, chunk.offset * width.itemsize
        ).astype(np.int64, copy=False)
        starts, ends = offsets[:-1], offsets[1:]
        filled = ends > starts
        valid = ~chunk.is_null().to_numpy(zero_copy_only=False)
        if (valid & ~filled).any():  # an empty string is a missing marker
            return True
        if data_buffer is None:
            continue
        data = np.frombuffer(data_buffer, np.uint8)
        for edge in (data[starts[filled]], data[ends[filled] - 1]):
            if ((edge <= 0x20) | (edge >= 0x80)).any():
                return True
    return False


def _as_text(series: pd.Series) -> pd.Series:
    return series.astype("string")


def _is_boolean(values: pd.Series) -> bool:
    lowered = set(_as_text(values).str.lower().unique())
    return bool(lowered) and lowered <= (_TRUE | _FALSE) and not lowered <= {"y", "n", "t", "f"}


def _date_format(values: pd.Series) -> str | None:
    sample = _as_text(values).head(2000)
    if sample.empty or sample.str.len().max() > 19 or not sample.str.contains(r"\d").all():
        return None
    matches: dict[str, str] = {}
    for fmt, order in _DATE_FORMATS:
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce")
        if parsed.notna().mean() >= 0.99:
            matches[fmt] = order
    orders = set(matches.values())
    if not matches or ("dmy" in orders and "mdy" in orders):
        return None
    return next(iter(matches))


@dataclass
class ColumnPlan:
    """How one column is converted in every chunk, decided once."""

    name: str
    type: LogicalType
    date_format: str | None = None


@dataclass
class ConversionStats:
    """Cells that did not fit their column's type and became missing."""

    coerced: dict[str, int] = field(default_factory=dict)

    def add(self, column: str, count: int) -> None:
        """Count `count` more coerced cells in `column`."""
        if count:
            self.coerced[column] = self.coerced.get(column, 0) + count


def infer_column_type(series: pd.Series) -> ColumnPlan:
    """Decide a column's type from a sample chunk (numbers, booleans, dates, text)."""
    name = str(series.name)
    present = series.dropna()
    if pd.api.types.is_bool_dtype(series.dtype):
        return ColumnPlan(name, "boolean")
    if pd.api.types.is_integer_dtype(series.dtype):
        return ColumnPlan(name, "integer")
    if pd.api.types.is_float_dtype(series.dtype):
        integral = (
            not present.empty and bool((present % 1 == 0).all()) and present.abs().max() < 2**53
        )
        return ColumnPlan(name, "integer" if integral else "float")
    if present.empty:
        return ColumnPlan(name, "string")
    if _is_boolean(present):
        return ColumnPlan(name, "boolean")
    date_format = _date_format(present)
    if date_format:
        return ColumnPlan(name, "datetime", date_format)
    return ColumnPlan(name, "string")


def convert_column(
    series: pd.Series, plan: ColumnPlan, stats: ConversionStats, decimal: str = "."
) -> pd.Series:
    """Convert a chunk's column to the planned type; cells that do not fit become NA."""
    kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else None
    if (plan.type == "float" and kind in {"i", "u", "f"}) or (
        plan.type == "integer" and kind in {"i", "u"}
    ):
        # Parsed as numbers of the planned kind already: no cell can fail to convert.
        return series.astype("float64" if plan.type == "float" else "Int64")
    before = series.notna()
    if plan.type in {"float", "integer"}:
        if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
            text = _as_text(series)
            if decimal == ",":
                text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
            series = pd.to_numeric(text, errors="coerce")
        elif pd.api.types.is_bool_dtype(series.dtype):
            series = series.astype("float64")
        if plan.type == "integer":
            numeric = pd.to_numeric(series, errors="coerce")
            fractional = numeric.notna() & (numeric % 1 != 0)
            if fractional.any():
                # A declared integer with fractions is a data problem validation reports;
                # silently rounding would hide it, so the column stays float.
                converted: pd.Series = numeric.astype("float64")
            else:
                converted = numeric.astype("Int64")
        else:
            converted = series.astype("float64")
    elif plan.type == "boolean":
        lowered = _as_text(series).str.lower()
        converted = lowered.map(lambda v: True if v in _TRUE else False if v in _FALSE else pd.NA)
        converted = converted.astype("boolean")
    elif plan.type == "datetime":
        converted = pd.to_datetime(_as_text(series), format=plan.date_format, errors="coerce")
    else:
        converted = _as_text(series)
    stats.add(plan.name, int((before & converted.isna()).sum()))
    return converted
