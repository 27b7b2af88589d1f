"""Choose the delimiter, quote and escape characters by scoring candidate dialects.

The score follows CleverCSV's data consistency measure (van den Burg et al., 2019,
https://arxiv.org/abs/1811.11242): a *pattern* score that rewards rows of equal length
with more than one cell, times a *type* score, the share of cells that look like clean
values (numbers, dates, missing markers, words without stray delimiters or quotes).
It runs on a bounded head of the text and caches cell types across candidates, which
keeps it at a few milliseconds.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import Counter
from dataclasses import dataclass

from pipeline.sniff.cells import CellType, CellTyper

logger = logging.getLogger(__name__)

DELIMITERS = (",", ";", "\t", "|", ":", " ")
QUOTES = ('"', "'")
# Rows used to score candidates: enough to see the structure, few enough to stay fast.
SCORING_ROWS = 150
SCORING_CHARS = 32 * 1024
_TYPE_ROWS = 40
# Tie-break order: the commonest delimiters first.
_PREFERENCE = {d: i for i, d in enumerate(DELIMITERS)}


@dataclass(frozen=True)
class Dialect:
    """A candidate way to split the text into fields."""

    delimiter: str
    quotechar: str | None
    escapechar: str | None
    skipinitialspace: bool

    def reader_options(self) -> dict[str, object]:
        """Keyword arguments for `csv.reader`."""
        options: dict[str, object] = {
            "delimiter": self.delimiter,
            "skipinitialspace": self.skipinitialspace,
            "strict": False,
        }
        if self.quotechar is None:
            options["quoting"] = csv.QUOTE_NONE
            options["escapechar"] = self.escapechar
        else:
            options["quotechar"] = self.quotechar
            options["doublequote"] = self.escapechar is None
            options["escapechar"] = self.escapechar
        return options


@dataclass(frozen=True)
class ScoredDialect:
    """A candidate with its consistency score (higher is better)."""

    dialect: Dialect
    score: float
    pattern: float
    types: float
    modal_width: int


def parse_rows(text: str, dialect: Dialect, max_rows: int | None = None) -> list[list[str]]:
    """Split `text` into rows with `dialect`, skipping blank lines."""
    rows: list[list[str]] = []
    for row in csv.reader(io.StringIO(text, newline=""), **dialect.reader_options()):  # type: ignore[arg-type]
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        rows.append(row)
        if max_rows is not None and len(rows) >= max_rows:
            break
    return rows


def space_follow_share(text: str, delimiter: str) -> float:
    """Share of `delimiter` occurrences followed by a space."""
    total = text.count(delimiter)
    return text.count(delimiter + " ") / total if total else 0.0


def _quote_at_field_edge(text: str, quote: str, delimiter: str) -> bool:
    """True when `quote` touches `delimiter` or a line break (it may open or close a field)."""
    return (
        delimiter + quote in text
        or quote + delimiter in text
        or text.startswith(quote)
        or "\n" + quote in text
        or quote + "\n" in text
        or quote + "\r" in text
    )


def candidate_dialects(text: str) -> list[Dialect]:
    """Dialects worth scoring: only characters that occur in the text are tried."""
    quotes_present = [q for q in QUOTES if q in text]
    candidates: list[Dialect] = []
    for delimiter in (d for d in DELIMITERS if d in text):
        # Space-aligned columns: runs of spaces are one separator.
        skip_space = delimiter == " " or space_follow_share(text, delimiter) >= 0.5
        quotes: list[str | None] = [None]
        quotes += [q for q in quotes_present if _quote_at_field_edge(text, q, delimiter)]
        for quote in quotes:
            escapes: list[str | None] = [None]
            if quote is not None and "\\" + quote in text:
                escapes.append("\\")
            for escape in escapes:
                candidates.append(Dialect(delimiter, quote, escape, skip_space))
    return candidates


def quoting_beyond_head(text: str, head: str, dialect: Dialect) -> bool:
    """True when double quotes open or close fields after the scored head of the sample."""
    rest = text[len(head) :]
    return bool(rest) and _quote_at_field_edge(rest, '"', dialect.delimiter)


def _pattern_score(widths: list[int]) -> tuple[float, int]:
    """CleverCSV's pattern score, normalised per row; and the modal row width."""
    if not widths:
        return 0.0, 0
    counts = Counter(widths)
    total = sum(count * (width - 1) / width for width, count in counts.items())
    modal = counts.most_common(1)[0][0]
    return total / len(counts) / len(widths), modal


def _swallows_lines(rows: list[list[str]], delimiter: str, modal: int) -> bool:
    """True when a quoted field spans lines that look like whole records.

    A stray, unbalanced quote makes the parser read on to the next quote, turning
    several records into one field; legitimate multi-line fields hold prose instead.
    """
    if modal < 3:
        return False
    for row in rows:
        for cell in row:
            if "\n" not in cell and "\r" not in cell:
                continue
            lines = cell.splitlines()[1:]
            if sum(line.count(delimiter) >= modal - 2 for line in lines) >= 1:
                return True
    return False


def _quotes_well_formed(text: str, dialect: Dialect) -> bool:
    """True when every quoted field closes right before a delimiter or a line end."""
    options = dialect.reader_options()
    options["strict"] = True
    try:
        for _row in csv.reader(io.StringIO(text, newline=""), **options):  # type: ignore[arg-type]
            pass
    except csv.Error:
        return False
    return True


def _clean_share(rows: list[list[str]], delimiter: str, typer: CellTyper) -> float:
    """Share of cells in the first rows that look like clean values for this split."""
    cells = 0
    clean = 0
    for row in rows[:_TYPE_ROWS]:
        for cell in row:
            cells += 1
            clean += typer.kind(cell, delimiter) is not CellType.OTHER
    return clean / cells if cells else 0.0


def scoring_head(text: str) -> str:
    """The bounded head of the sample that candidates are scored on (whole lines)."""
    head = text[:SCORING_CHARS]
    cut = max(head.rfind("\n"), head.rfind("\r"))
    if len(text) > SCORING_CHARS and cut > 0:
        head = head[: cut + 1]
    return head


def score_dialects(text: str, typer: CellTyper | None = None) -> list[ScoredDialect]:
    """Every candidate dialect with its score, best first.

    Candidates are scored in decreasing order of pattern score; since the final score is
    pattern x type and the type score is at most 1, the (costly) type score is skipped for
    candidates whose pattern score cannot beat the best score found so far.
    """
    head = scoring_head(text)
    parsed = []
    for dialect in candidate_dialects(head):
        rows = parse_rows(head, dialect, SCORING_ROWS)
        pattern, modal = _pattern_score([len(row) for row in rows])
        parsed.append((pattern, modal, dialect, rows))
    parsed.sort(key=lambda item: -item[0])
    typer = typer or CellTyper()
    best = 0.0
    scored: list[ScoredDialect] = []
    for pattern, modal, dialect, rows in parsed:
        if pattern <= 0 or pattern < best:
            scored.append(ScoredDialect(dialect, 0.0, pattern, 0.0, modal))
            continue
        types = _clean_share(rows, dialect.delimiter, typer)
        score = pattern * types
        if dialect.quotechar is not None:
            if _swallows_lines(rows, dialect.delimiter, modal):
                score *= 0.5
            elif not _quotes_well_formed(head, dialect):
                score *= 0.97  # a tie-breaker: the same split without quoting wins
        best = max(best, score)
        scored.append(ScoredDialect(dialect, score, pattern, types, modal))
    scored.sort(key=_sort_key)
    return scored


def _sort_key(item: ScoredDialect) -> tuple[float, int, int, int]:
    dialect = item.dialect
    quote_rank = 0 if dialect.quotechar == '"' else (1 if dialect.quotechar is None else 2)
    return (
        -round(item.score, 6),
        _PREFERENCE[dialect.delimiter],
        quote_rank,
        0 if dialect.escapechar is None else 1,
    )
