"""Tell text that is not a table (binary noise, sentences) from text that is."""

from __future__ import annotations

import re

from pipeline.sniff.cells import CellTyper, is_data_like
from pipeline.sniff.format import NotATableError

# Control characters other than tab, line feed, carriage return and form feed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_WORDS = re.compile(r"[^\W\d_]{2,}")
_JSON_KEY = re.compile(r'"\s*:\s*["\d\[{tfn-]')


def reject_control_characters(text: str) -> None:
    """Raise `NotATableError` when decoded text is full of control characters (binary)."""
    sample = text[:65536]
    controls = len(_CONTROL.findall(sample))
    if sample and controls / len(sample) > 0.01:
        raise NotATableError(
            f"this is binary data, not text: {controls} control characters in the first "
            f"{len(sample)} characters"
        )


def looks_like_prose(lines: list[str]) -> bool:
    """True when lines read like sentences: many words per line, few numbers."""
    if not lines:
        return True
    words = sum(len(_WORDS.findall(line)) for line in lines)
    return words / len(lines) >= 6


def is_one_sentence(text: str) -> bool:
    """One line of several words whose comma/semicolon parts are phrases, not names."""
    stripped = text.strip()
    if "\n" in stripped or "\r" in stripped:
        return False
    if len(_WORDS.findall(stripped)) < 6:
        return False
    parts = re.split(r"[,;\t|]", stripped)
    return sum(len(_WORDS.findall(part)) for part in parts) / len(parts) >= 3


def is_prose_split_on_spaces(text: str, typer: CellTyper) -> bool:
    """Sentences split on spaces look like a wide table of words; real ones hold values."""
    lines = [line for line in text[:16384].splitlines() if line.strip()][:100]
    if not looks_like_prose(lines):
        return False
    cells = [cell for line in lines for cell in line.split()]
    valued = sum(is_data_like(typer.kind(cell, " ")) for cell in cells)
    return valued / max(1, len(cells)) < 0.2


def reject_markup_and_json(text: str) -> None:
    """Raise `NotATableError` for HTML/XML pages and JSON documents or JSON lines."""
    head = text[:8192].lstrip("\ufeff \t\r\n")
    if head.startswith("<") and ("</" in head or "/>" in head):
        kind = "an HTML page" if "<html" in head[:1024].lower() else "an XML or HTML document"
        raise NotATableError(f"this is {kind}, not a delimited table")
    if head[:1] in ("{", "[") and _JSON_KEY.search(head[:4096]):
        raise NotATableError("this is JSON, not a delimited table")
