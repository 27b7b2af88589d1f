"""Classify single cells by the shape of their text (number, date, missing, word...)."""

from __future__ import annotations

import re
from enum import Enum


class CellType(Enum):
    """What a cell's text looks like."""

    EMPTY = "empty"
    MISSING = "missing"  # NA, N/A, null, -, #NULL!...
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"
    WORD = "word"  # clean text: letters, digits, spaces and ordinary punctuation
    OTHER = "other"  # text holding delimiter or quote characters, i.e. a suspicious split


_MISSING = frozenset(
    {
        "na",
        "n/a",
        "nan",
        "null",
        "none",
        "-",
        "--",
        "---",
        ".",
        "?",
        "#null!",
        "#n/a",
        "nil",
        "n.a.",
    }
)
_BOOLEAN = frozenset({"true", "false", "yes", "no", "t", "f", "y", "n"})
_NUMBER = re.compile(
    r"""[-+(]?\s?[$€£¥]?\s?
    (?:\d+(?:[.,]\d*)?|[.,]\d+|\d{1,3}(?:[,.'\u00a0\u202f ]\d{3})+(?:[.,]\d+)?)
    (?:[eE][-+]?\d+)?\)?\s?(?:%|[$€£¥]|[A-Z]{3})?""",
    re.VERBOSE,
)
_DATE = re.compile(
    r"""(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}
    |\d{1,2}[-\s](?:[A-Za-z]{3,9})[-\s]\d{2,4})?
    (?:[T\s]*\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp][Mm])?\s*(?:Z|[-+]\d{2}:?\d{2})?)?""",
    re.VERBOSE,
)
_URL_OR_EMAIL = re.compile(r"(?:https?|ftp)://\S+|[\w.+-]+@[\w-]+\.[\w.-]+|www\.\S+")
# Characters that do not belong in a cell when the dialect is right: other delimiters.
# The candidate's own delimiter may appear (the field must have been quoted).
_SUSPICIOUS = frozenset(",;\t|")
_SHAPE_RUNS = [
    (re.compile(r"[A-Z]+"), "A"),
    (re.compile(r"[a-z]+"), "a"),
    (re.compile(r"\d+"), "9"),
]
_QUOTES = frozenset("\"'")


def classify(cell: str, delimiter: str = ",") -> CellType:
    """The type of one cell's text; `delimiter` is the dialect it was split with."""
    text = cell.strip()
    if not text:
        return CellType.EMPTY
    lowered = text.lower()
    if lowered in _MISSING:
        return CellType.MISSING
    if _NUMBER.fullmatch(text):
        return CellType.NUMBER
    if text[0].isdigit() and _DATE.fullmatch(text):
        return CellType.DATE
    if lowered in _BOOLEAN:
        return CellType.BOOLEAN
    if _URL_OR_EMAIL.fullmatch(text):
        return CellType.WORD
    if text[0] in _QUOTES or text[-1] in _QUOTES:
        return CellType.OTHER  # a quote left at a field edge: the split ignored quoting
    for char in text:
        if char in _SUSPICIOUS and char != delimiter:
            return CellType.OTHER
    return CellType.WORD


def shape_of(cell: str) -> str:
    """Letters, digits and punctuation pattern of a cell: 'CHF 83.90 / 30 ml' -> 'A 9.9 / 9 a'."""
    text = cell.strip()
    for pattern, token in _SHAPE_RUNS:
        text = pattern.sub(token, text)
    return text


def is_number(cell: str) -> bool:
    """True when the cell is a number in any common notation."""
    return _NUMBER.fullmatch(cell.strip()) is not None


def is_data_like(kind: CellType) -> bool:
    """Numbers, dates and booleans: values a header cell rarely is."""
    return kind in (CellType.NUMBER, CellType.DATE, CellType.BOOLEAN)


class CellTyper:
    """`classify` with a cache for one detection run (cells repeat across rows and dialects)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], CellType] = {}

    def kind(self, cell: str, delimiter: str) -> CellType:
        """The cached `classify(cell, delimiter)`."""
        key = (cell, delimiter)
        found = self._known.get(key)
        if found is None:
            found = classify(cell, delimiter)
            self._known[key] = found
        return found
