"""Bytes that are not a table are refused with a message naming what they are."""

from __future__ import annotations

import gzip
import io
import random
import zipfile
from pathlib import Path

import pytest

from pipeline.sniff import NotATableError, detect_format, detect_format_of_file

pytestmark = pytest.mark.unit


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return buffer.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(40))

CASES = {
    "empty": (b"", "empty"),
    "whitespace only": (b"  \n\n \r\n", "blank"),
    "gzip": (gzip.compress(b"a,b\n1,2\n"), "gzip-compressed file, not text"),
    "zip": (_zip(["data.csv"]), "ZIP archive"),
    "xlsx": (_zip(["[Content_Types].xml", "xl/workbook.xml"]), "Excel workbook (.xlsx)"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF document"),
    "png": (PNG, "PNG image"),
    "random binary": (random.Random(7).randbytes(4096), "binary data"),
    "one line of prose": (
        b"This is just a sentence, written by a person who meant no table at all.\n",
        "one line of text",
    ),
    "json lines": (b'{"a": 1, "b": 2}\n{"a": 3, "b": 4}\n', "JSON"),
    "html page": (b"<!doctype html>\n<html><body><p>Not found</p></body></html>\n", "HTML page"),
    "prose paragraphs": (
        b"The quick brown fox jumps over the lazy dog and keeps running far away.\n"
        b"Nobody knows where the fox went after that long and tiring afternoon.\n"
        b"Some say it found a new home in the woods beyond the river bend.\n",
        "prose",
    ),
}


@pytest.mark.parametrize(("data", "words"), CASES.values(), ids=CASES.keys())
def test_not_a_table_is_refused_in_plain_words(data: bytes, words: str) -> None:
    with pytest.raises(NotATableError) as caught:
        detect_format(data, complete=True)
    assert words in str(caught.value)


def test_binary_without_nul_bytes_is_refused() -> None:
    noise = bytes(b for b in random.Random(3).randbytes(8192) if b not in (0, 9, 10, 13))
    with pytest.raises(NotATableError, match="binary data"):
        detect_format(noise, complete=True)


def test_single_column_of_numbers_is_a_table() -> None:
    fmt = detect_format(b"angle\n0.5\n1.25\n2\n3.75\n", complete=True)
    assert fmt.has_header is True
    assert fmt.delimiter == ","


def test_file_api_reads_only_the_sample(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = "".join(f"{i};{i * 0.5:.1f};name {i}\n".replace(".", ",") for i in range(20_000))
    path.write_text("id;value;name\n" + rows, encoding="utf-8")
    fmt = detect_format_of_file(path, sample_bytes=8192)
    assert (fmt.delimiter, fmt.decimal, fmt.has_header) == (";", ",", True)
    with pytest.raises(NotATableError, match="empty"):
        empty = tmp_path / "empty.csv"
        empty.write_bytes(b"")
        detect_format_of_file(empty)
