"""Decide whether the table's first rows are column names, by comparing them to the data."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from pipeline.sniff.cells import CellType, CellTyper, is_data_like, shape_of

_DATA_ROWS = 40
# A shape with digits or punctuation is specific enough to call a matching first cell data.
_SPECIFIC_SHAPE = re.compile(r"[^Aa ]")
_SHAPE_RUNS = [
    (re.compile(r"[A-Z]+"), "A"),
    (re.compile(r"[a-z]+"), "a"),
    (re.compile(r"\d+"), "9"),
]


@dataclass(frozen=True)
class HeaderVerdict:
    """Header presence, how many rows it spans, and how sure the vote was (0..1)."""

    has_header: bool
    header_rows: int
    certainty: float


def _header_kind(cell: str, delimiter: str, typer: CellTyper) -> CellType:
    kind = typer.kind(cell, delimiter)
    if kind is CellType.BOOLEAN and len(cell.strip()) <= 1:
        return CellType.WORD  # a column called "N" or "T" is a name, not a flag
    return kind


def _column_votes(
    first: list[str], data: list[list[str]], delimiter: str, typer: CellTyper
) -> tuple[float, float, list[bool]]:
    """Votes for and against `first` being a header; which columns hold typed data."""
    yes = no = 0.0
    typed_columns: list[bool] = []
    for index, head in enumerate(first):
        values = [row[index] for row in data if index < len(row) and row[index].strip()]
        if not values:
            typed_columns.append(False)
            continue
        kinds = [typer.kind(value, delimiter) for value in values]
        data_kinds = Counter(kind for kind in kinds if is_data_like(kind))
        typed = sum(data_kinds.values()) / len(kinds) >= 0.7
        typed_columns.append(typed)
        if not head.strip():
            continue  # an unnamed index column says nothing either way
        head_kind = _header_kind(head, delimiter, typer)
        if typed:
            dominant = data_kinds.most_common(1)[0][0]
            if head_kind is dominant:
                # "2021" over "-29.59438": a year as a column name is still possible.
                same_shape = shape_of(head) in {shape_of(value) for value in values[:50]}
                no += 1.0 if same_shape else 0.25
            elif head_kind is not CellType.MISSING:
                yes += 1.0 if not is_data_like(head_kind) else 0.5
            continue
        # Text columns: a name rarely repeats as a value, and rarely shares the values' shape.
        if head.strip() in {value.strip() for value in values}:
            no += 0.5
            continue
        shapes = Counter(shape_of(value) for value in values)
        top_shape, top_count = shapes.most_common(1)[0]
        if top_count / len(values) >= 0.5 and len(values) >= 3:
            if shape_of(head) == top_shape and _SPECIFIC_SHAPE.search(top_shape):
                no += 0.5  # "CHF 83.90 / 30 ml" over prices is a value; "color" may be a name
            elif shape_of(head) not in shapes:
                yes += 0.5
    return yes, no, typed_columns


def _extra_header_rows(
    rows: list[list[str]], typed: list[bool], delimiter: str, typer: CellTyper
) -> int:
    """Rows after the first that are also names: text above columns of typed data."""
    extra = 0
    typed_indexes = [i for i, is_typed in enumerate(typed) if is_typed]
    if len(typed_indexes) < 2:
        return 0
    for row in rows[1:3]:
        cells = [row[i] for i in typed_indexes if i < len(row) and row[i].strip()]
        if len(cells) < max(2, len(typed_indexes) // 4):
            break
        texts = sum(not is_data_like(_header_kind(cell, delimiter, typer)) for cell in cells)
        if texts / len(cells) < 0.6:
            break
        extra += 1
    return extra


def detect_header(
    rows: list[list[str]], width: int, delimiter: str, typer: CellTyper | None = None
) -> HeaderVerdict:
    """Whether `rows[0]` (the first table row) holds column names.

    Each column votes: over numbers/dates a text cell is a name, a number is data; over
    text, a first cell that repeats a value or shares the values' shape is data. Rows with
    a different width than the data (R's write.table, trailing delimiters) lean to header.
    Ties default to a header, the common case.
    """
    typer = typer or CellTyper()
    if not rows:
        return HeaderVerdict(False, 0, 0.0)
    first = rows[0]
    if len(rows) == 1:
        kinds = [_header_kind(cell, delimiter, typer) for cell in first]
        has = not any(is_data_like(kind) for kind in kinds)
        return HeaderVerdict(has, int(has), 0.5)
    probe = rows[1 : 1 + _DATA_ROWS]
    # Skip further header rows when measuring the data: look past the first few rows.
    data = probe[3:] if len(probe) > 12 else probe
    yes, no, typed = _column_votes(first, data, delimiter, typer)
    if len(first) != width and len(first) in (width - 1, width + 1):
        yes += 1.0
    non_empty = [cell.strip() for cell in first if cell.strip()]
    if len(non_empty) != len(set(non_empty)):
        no += 0.5
    has_header = yes >= no
    certainty = abs(yes - no) / (yes + no) if yes + no else 0.0
    rows_count = 1 + _extra_header_rows(rows, typed, delimiter, typer) if has_header else 0
    return HeaderVerdict(has_header, rows_count, certainty)
