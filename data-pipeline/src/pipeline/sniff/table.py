"""Find where the table starts: preamble lines, comment lines, the modal row width."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

from pipeline.sniff.cells import classify, is_data_like, shape_of
from pipeline.sniff.dialect import Dialect

# Records read to study the table's structure, header and numbers.
STRUCTURE_ROWS = 200
COMMENT_PREFIX = "#"


@dataclass(frozen=True)
class Record:
    """One parsed record and the physical line (0-based) it starts on."""

    line: int
    cells: list[str]
    raw_start: str  # the first characters of the record's line, to spot comment lines
    filled: int  # number of non-empty cells


@dataclass(frozen=True)
class TableLayout:
    """Where the table starts and how wide it is."""

    records: list[Record]  # from the first header/data record on, comments dropped
    skip_rows: int
    width: int
    comment: str | None


def read_records(text: str, dialect: Dialect, limit: int = STRUCTURE_ROWS) -> list[Record]:
    """Parse up to `limit` non-blank records, remembering the line each starts on."""
    handle = io.StringIO(text, newline="")
    reader = csv.reader(handle, **dialect.reader_options())  # type: ignore[arg-type]
    records: list[Record] = []
    line = 0
    try:
        for row in reader:
            start = line
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            filled = sum(1 for cell in row if cell and not cell.isspace())
            records.append(Record(start, row, row[0][:2], filled))
            if len(records) >= limit:
                break
    except csv.Error:
        pass  # a broken tail (cut sample) ends the records; the head is what counts
    return records


class _Shape:
    """What a data row looks like: its width, filled cells, and each column's value shapes."""

    def __init__(self, body: list[Record], width: int) -> None:
        self.width = width
        self.min_filled = _min_filled(body, width)
        self._body = body

    @cached_property
    def column_shapes(self) -> list[set[str]]:
        """Computed only when a sparse row has to be judged (rare)."""
        return _column_shapes(self._body, self.width)


def _fits(record: Record, shape: _Shape) -> bool:
    """True when a record can belong to the table: about the right width and filled enough."""
    count = len(record.cells)
    width = shape.width
    low = width - 1 if width >= 3 else width
    if not low <= count <= width + 1:
        return False
    if record.filled >= shape.min_filled:
        return True
    # A sparse row holding a number, a date, or a value shaped like its column's values
    # ("B707" over codes) is a data row with gaps, not a title.
    for index, cell in enumerate(record.cells):
        if not cell.strip():
            continue
        if is_data_like(classify(cell)):
            return True
        if index < len(shape.column_shapes) and shape_of(cell) in shape.column_shapes[index]:
            return True
    return False


def _column_shapes(body: list[Record], width: int) -> list[set[str]]:
    """Per column, the shapes that at least a fifth of the body's values share."""
    shapes: list[set[str]] = []
    rows = [r.cells for r in body if len(r.cells) == width][:100]
    for index in range(width):
        counts = Counter(shape_of(row[index]) for row in rows if row[index].strip())
        total = sum(counts.values())
        shapes.append({s for s, n in counts.items() if total and n / total >= 0.2})
    return shapes


def _min_filled(body: list[Record], width: int) -> int:
    """How many non-empty cells a table row needs, judged from the data rows themselves.

    A title line padded with delimiters ("Report;") has one value where data rows have
    two or more; but when the data itself often leaves cells empty, a sparse row is
    ordinary and only a blank row can be preamble.
    """
    # Footer notes ("Note: ...;;;") sit at the end; they must not make sparse rows look normal.
    trimmed = body[:-3] if len(body) > 10 else body
    rows = [r for r in trimmed if len(r.cells) == width]
    if not rows:
        return 1
    filled = sorted(r.filled for r in rows)
    wanted = min(2, filled[len(filled) // 2], width)
    sparse = sum(1 for r in rows if r.filled < wanted) / len(rows)
    return wanted if sparse < 0.02 else 1


def _is_comment(record: Record, width: int) -> bool:
    return record.raw_start.startswith(COMMENT_PREFIX) and len(record.cells) not in (
        width,
        width + 1,
    )


def find_table(records: list[Record]) -> TableLayout:
    """Drop preamble and comment lines; report how many physical lines precede the table.

    The table's width is the most common record width over the second half of the records
    (past any preamble); the table starts at the first record that fits that width, is
    filled like the data, and is followed by another fitting record.
    """
    if not records:
        return TableLayout([], 0, 0, None)
    body = records[len(records) // 2 :] or records
    width = Counter(len(r.cells) for r in body).most_common(1)[0][0]
    shape = _Shape(body, width)
    start = 0
    for index, record in enumerate(records):
        if _is_comment(record, width):
            continue
        if not _fits(record, shape):
            continue
        following = [r for r in records[index + 1 : index + 4] if not _is_comment(r, width)]
        if not following or _fits(following[0], shape):
            start = index
            break
    table = records[start:]
    has_comments = any(_is_comment(r, width) for r in table)
    kept = [r for r in table if not _is_comment(r, width)] if has_comments else table
    return TableLayout(
        records=kept,
        skip_rows=table[0].line if table else 0,
        width=width,
        comment=COMMENT_PREFIX if has_comments else None,
    )
