"""Detect the format of a delimited text file from the first bytes of it."""

from __future__ import annotations

import logging
from pathlib import Path

from pipeline.sniff.cells import CellTyper
from pipeline.sniff.dialect import (
    Dialect,
    ScoredDialect,
    parse_rows,
    quoting_beyond_head,
    score_dialects,
    scoring_head,
)
from pipeline.sniff.encoding import detect_encoding
from pipeline.sniff.format import CsvFormat, NotATableError
from pipeline.sniff.header import detect_header
from pipeline.sniff.numbers import detect_number_marks
from pipeline.sniff.prose import (
    is_one_sentence,
    is_prose_split_on_spaces,
    looks_like_prose,
    reject_control_characters,
    reject_markup_and_json,
)
from pipeline.sniff.table import find_table, read_records

logger = logging.getLogger(__name__)

DEFAULT_SAMPLE_BYTES = 256 * 1024
_NUMBER_ROWS = 120


def _line_terminator(text: str) -> str:
    head = text[:65536]
    crlf = head.count("\r\n")
    if head.count("\r\r\n") and head.count("\r\r\n") >= crlf / 2:
        return "\r\r\n"
    lone_cr = head.count("\r") - crlf
    lone_lf = head.count("\n") - crlf
    best = max((crlf, "\r\n"), (lone_lf, "\n"), (lone_cr, "\r"))
    return best[1] if best[0] else "\n"


def _fields_after_space_share(text: str, dialect: Dialect) -> float:
    """Share of fields (after the first of a row) that begin with a space, quotes respected."""
    plain = Dialect(dialect.delimiter, dialect.quotechar, dialect.escapechar, False)
    fields = [cell for row in parse_rows(scoring_head(text)[:16384], plain, 50) for cell in row[1:]]
    return sum(cell.startswith(" ") for cell in fields) / len(fields) if fields else 0.0


def _excel_separator_hint(text: str) -> str | None:
    """The delimiter named by Excel's optional first line `sep=;`, if there is one."""
    first = text[:8].split("\n", 1)[0].rstrip("\r")
    if len(first) == 5 and first.lower().startswith("sep="):
        return first[4]
    return None


def _single_column(text: str, encoding: str, confidence: float, complete: bool) -> CsvFormat:
    """A file no delimiter splits: a one-column table of values, or prose (not a table)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not complete and len(lines) > 1:
        lines = lines[:-1]
    if len(lines) < 2 or looks_like_prose(lines[:200]):
        what = "one line of text" if len(lines) < 2 else "lines of prose"
        raise NotATableError(
            f"this looks like {what}, not a table: no delimiter (, ; tab | : space) "
            "splits the lines into columns"
        )
    dialect = Dialect(",", None, None, False)
    return _finish(text, dialect, encoding, confidence * 0.6, ["single column"])


def _margin(scored: list[ScoredDialect]) -> float:
    """How far the winner is ahead of the best candidate with another delimiter."""
    best = scored[0]
    rivals = [s.score for s in scored[1:] if s.dialect.delimiter != best.dialect.delimiter]
    return best.score - (max(rivals) if rivals else 0.0)


def _finish(
    text: str,
    dialect: Dialect,
    encoding: str,
    confidence: float,
    notes: list[str],
    typer: CellTyper | None = None,
) -> CsvFormat:
    typer = typer or CellTyper()
    records = read_records(text, dialect)
    layout = find_table(records)
    rows = [record.cells for record in layout.records]
    verdict = detect_header(rows, layout.width, dialect.delimiter, typer)
    data = rows[verdict.header_rows :] if verdict.has_header else rows
    marks = detect_number_marks(data[:_NUMBER_ROWS], layout.width)
    # Reported only when (nearly) every delimiter is followed by a space: then the space
    # is layout, not data. Scoring used a looser threshold to see quotes after ", ".
    skipinitialspace = (
        dialect.skipinitialspace
        and dialect.delimiter != " "
        and _fields_after_space_share(text, dialect) >= 0.9
    )
    if len(rows) == 1 and not verdict.has_header:
        notes.append("only one record")
    return CsvFormat(
        encoding=encoding,
        delimiter=dialect.delimiter,
        quotechar=dialect.quotechar,
        escapechar=dialect.escapechar,
        has_header=verdict.has_header,
        decimal=marks.decimal,
        skip_rows=layout.skip_rows,
        confidence=max(0.0, min(1.0, confidence * (0.75 + 0.25 * verdict.certainty))),
        line_terminator=_line_terminator(text),
        comment=layout.comment,
        skipinitialspace=skipinitialspace,
        header_rows=verdict.header_rows,
        thousands=marks.thousands,
        notes=notes,
    )


def detect_format(data: bytes, *, complete: bool = False) -> CsvFormat:
    """Detect encoding, dialect, header, decimal mark and preamble of a delimited file.

    Args:
        data: the head of the file (e.g. its first 256 KiB); it may end in the middle of
            a line or of a multibyte character.
        complete: `data` is the whole file, so its last line is whole.

    Returns:
        The detected `CsvFormat`, with a confidence in [0, 1].

    Raises:
        NotATableError: the bytes are not a delimited table (empty, binary, compressed,
            a spreadsheet, prose...); the message says what they look like instead.
    """
    decoded = detect_encoding(data, complete=complete)
    text = decoded.text
    if not text.strip():
        raise NotATableError("the file holds only blank lines or whitespace, no table")
    reject_control_characters(text)
    reject_markup_and_json(text)
    if not complete:
        # The sample may stop inside a record: only whole lines are trusted.
        cut = max(text.rfind("\n"), text.rfind("\r"))
        if cut > 0:
            text = text[: cut + 1]
    notes = [decoded.note] if decoded.note else []
    if is_one_sentence(text):
        raise NotATableError("this looks like one line of text (a sentence), not a table")
    typer = CellTyper()
    scored = score_dialects(text, typer)
    if not scored or scored[0].score <= 0 or scored[0].modal_width < 2:
        return _single_column(text, decoded.encoding, decoded.confidence, complete)
    best = scored[0]
    hinted = _excel_separator_hint(text)
    if hinted and best.dialect.delimiter != hinted:
        best = next((s for s in scored if s.dialect.delimiter == hinted), best)
        notes.append(f"the file's first line says sep={hinted}")
    dialect = best.dialect
    if dialect.delimiter == " " and is_prose_split_on_spaces(text, typer):
        raise NotATableError(
            "this looks like lines of prose, not a table: only spaces between words "
            "split the lines, and almost no value is a number or a date"
        )
    if dialect.quotechar is None and quoting_beyond_head(text, scoring_head(text), dialect):
        dialect = Dialect(dialect.delimiter, '"', None, dialect.skipinitialspace)
        notes.append("quoted fields appear after the scored head")
    certainty = 0.7 + 0.3 * min(1.0, 2 * _margin(scored))
    confidence = decoded.confidence * (0.5 + 0.5 * best.score) * certainty
    fmt = _finish(text, dialect, decoded.encoding, confidence, notes, typer)
    logger.info("detected %s", fmt.describe())
    return fmt


def detect_format_of_file(path: Path, sample_bytes: int = DEFAULT_SAMPLE_BYTES) -> CsvFormat:
    """Detect the format of the file at `path` from its first `sample_bytes` bytes.

    Raises:
        NotATableError: the file is not a delimited table.
        OSError: the file cannot be read.
    """
    with path.open("rb") as handle:
        data = handle.read(sample_bytes + 1)
    complete = len(data) <= sample_bytes
    return detect_format(data[:sample_bytes], complete=complete)
