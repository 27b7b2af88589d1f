"""Find where the table starts: preamble lines, comment lines, the modal row width."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass

from pipeline.sniff.dialect import Dialect

# Records read to study the table's structure, header and numbers.
STRUCTURE_ROWS = 300
COMMENT_PREFIX = "#"


@dataclass(frozen=True)
class Record:
    """One parsed record and the physical line (0-based) it starts on."""

    line: int
    cells: list[str]
    raw_start: str  # the first characters of the record's line, to spot comment lines

    @property
    def filled(self) -> int:
        """Number of non-empty cells."""
        return sum(1 for cell in self.cells if cell.strip())


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
            records.append(Record(start, row, row[0][:2] if row else ""))
            if len(records) >= limit:
                break
    except csv.Error:
        pass  # a broken tail (cut sample) ends the records; the head is what counts
    return records


def _fits(record: Record, width: int, typical_filled: int) -> bool:
    """True when a record can belong to the table: about the right width and filled enough."""
    count = len(record.cells)
    low = width - 1 if width >= 3 else width
    if not low <= count <= width + 1:
        return False
    return record.filled >= min(2, typical_filled, width)


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
    filled = sorted(r.filled for r in body if len(r.cells) == width) or [width]
    typical_filled = filled[len(filled) // 2]
    start = 0
    for index, record in enumerate(records):
        if _is_comment(record, width):
            continue
        if not _fits(record, width, typical_filled):
            continue
        following = [r for r in records[index + 1 : index + 4] if not _is_comment(r, width)]
        if not following or _fits(following[0], width, typical_filled):
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
