"""A file assembled from UTF-8 and Latin-1 parts is refused, not curated as mojibake."""

from __future__ import annotations

import pytest

from pipeline.sniff import NotATableError, detect_format

pytestmark = pytest.mark.unit


def test_utf8_then_latin1_rows_are_refused_with_the_place() -> None:
    head = ("name;city\n" + "José;Zürich\nRenée;Köln\n" * 20).encode("utf-8")
    data = head + ("Müller;Genève\n" * 20).encode("latin-1")
    with pytest.raises(NotATableError, match=r"mixes encodings.*line 42"):
        detect_format(data, complete=True)


def test_single_byte_file_with_an_accidental_utf8_pair_is_not_mixed() -> None:
    # "Ã©" in cp1252 is the byte pair C3 A9, valid UTF-8 for "é": one such pair is chance.
    data = ("name;city\n" + "Ã©cole;Paris\n" + "Müller;Genève\n" * 20).encode("cp1252")
    assert detect_format(data, complete=True).encoding in {"cp1252", "latin-1"}
