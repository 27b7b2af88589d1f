"""Write tables in many dialects, encodings and layouts; the detector must read them back."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.sniff import CsvFormat, detect_format

pytestmark = pytest.mark.unit

WORDS = {
    "ascii": ["alpha", "bravo", "Charlie", "delta echo", "Foxtrot", "golf", "hotel", "India"],
    "latin": ["Müller", "José", "Françoise", "Øresund", "Ærø", "Señora", "Crème brûlée", "Zoë"],
    "japanese": ["東京都", "千代田区", "ｲｶﾆｹｲｻｲｶﾞﾅｲ", "飯田橋", "一番町", "消火栓", "鯖江市"],
    "chinese": ["北京", "上海市", "图书", "销售额", "订单编号", "京东", "价格表"],
}


@dataclass
class Table:
    """A generated table and the format it was written in."""

    delimiter: str = ","
    quotechar: str = '"'
    quoting: int = csv.QUOTE_MINIMAL
    escapechar: str | None = None
    has_header: bool = True
    decimal: str = "."
    preamble: list[str] = field(default_factory=list)
    comments: int = 0
    encoding: str = "utf-8"
    terminator: str = "\n"
    words: str = "ascii"
    rows: int = 30
    seed: int = 1
    text_with_delimiter: bool = False
    multiline: bool = False

    def cells(self) -> tuple[list[str], list[list[str]]]:
        rng = random.Random(self.seed)
        header = ["id", "name", "price", "quantity", "measured on"]
        body = []
        vocabulary = WORDS[self.words]
        for index in range(self.rows):
            price = f"{rng.uniform(0, 500):.2f}"
            if self.decimal == ",":
                price = price.replace(".", ",")
            name = rng.choice(vocabulary)
            if self.text_with_delimiter and index % 3 == 0:
                name = f"{name}{self.delimiter} {rng.choice(vocabulary)}"
            if self.multiline and index % 5 == 0:
                name = f"{name}\nsecond line"
            day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            body.append([str(1000 + index), name, price, str(rng.randint(0, 90)), day])
        return header, body

    def render(self) -> bytes:
        header, body = self.cells()
        out = io.StringIO(newline="")
        for line in self.preamble:
            out.write(line + self.terminator)
        writer = csv.writer(
            out,
            delimiter=self.delimiter,
            quotechar=self.quotechar,
            quoting=self.quoting,
            escapechar=self.escapechar,
            doublequote=self.escapechar is None,
            lineterminator=self.terminator,
        )
        if self.has_header:
            writer.writerow(header)
        for index, row in enumerate(body):
            if self.comments and index == 4:
                out.write("# a comment line in the middle" + self.terminator)
            writer.writerow(row)
        text = out.getvalue()
        return text.encode(self.encoding)


def assert_reads_back(table: Table, fmt: CsvFormat, data: bytes) -> None:
    """Every field the table was written with is detected (quotechar up to equivalence)."""
    text = data.decode(table.encoding)
    assert fmt.delimiter == table.delimiter
    quoted = table.quotechar in text
    if quoted:
        assert fmt.quotechar == table.quotechar
    else:
        assert fmt.quotechar is None or fmt.quotechar not in text
    assert fmt.escapechar == (table.escapechar if table.escapechar and "\\" in text else None)
    assert fmt.has_header is table.has_header
    assert fmt.decimal == table.decimal
    assert fmt.skip_rows == len(table.preamble)
    decoded = data.decode(fmt.encoding)
    assert decoded.lstrip("\ufeff") == text.lstrip("\ufeff")


CASES = {
    "wine-like semicolon, decimal comma": Table(delimiter=";", decimal=",", quoting=csv.QUOTE_NONE),
    "cp1252 accents, semicolon": Table(delimiter=";", words="latin", encoding="cp1252"),
    "latin-1 accents, comma, CRLF": Table(words="latin", encoding="latin-1", terminator="\r\n"),
    "utf-8 accents, tab": Table(delimiter="\t", words="latin"),
    "utf-8 with BOM": Table(words="latin", encoding="utf-8-sig"),
    "utf-16 with BOM": Table(words="latin", encoding="utf-16"),
    "utf-16-le without BOM": Table(words="latin", encoding="utf-16-le"),
    "shift_jis text": Table(words="japanese", encoding="cp932", terminator="\r\n"),
    "gbk text": Table(words="chinese", encoding="gbk"),
    "pipes": Table(delimiter="|"),
    "colons": Table(delimiter=":", quoting=csv.QUOTE_NONE, escapechar="\\"),
    "tabs, all quoted": Table(delimiter="\t", quoting=csv.QUOTE_ALL),
    "quoted delimiters": Table(text_with_delimiter=True),
    "quoted newlines": Table(multiline=True, rows=40),
    "no header": Table(has_header=False),
    "no header, semicolon, decimal comma": Table(has_header=False, delimiter=";", decimal=","),
    "comment line in the body": Table(comments=1),
    "title preamble": Table(preamble=["Sales report", "", "Exported 2024-05-01"]),
    "backslash escapes": Table(
        delimiter=";", quoting=csv.QUOTE_ALL, escapechar="\\", text_with_delimiter=True
    ),
    "single quotes": Table(quotechar="'", quoting=csv.QUOTE_ALL),
    "old Mac CR lines": Table(terminator="\r", words="latin", encoding="mac_roman"),
}


@pytest.mark.parametrize("table", CASES.values(), ids=CASES.keys())
def test_generated_table_reads_back(table: Table) -> None:
    data = table.render()
    fmt = detect_format(data, complete=True)
    assert_reads_back(table, fmt, data)


def test_decimal_comma_in_quoted_fields_of_comma_file() -> None:
    table = Table(decimal=",", quoting=csv.QUOTE_NONNUMERIC)
    data = table.render()
    fmt = detect_format(data, complete=True)
    assert (fmt.delimiter, fmt.decimal, fmt.quotechar) == (",", ",", '"')


def test_line_terminator_and_thousands() -> None:
    data = b'state,total\r\n"ALABAMA","19,582"\r\n"ALASKA","2,705"\r\n"OHIO","1,204,311"\r\n'
    fmt = detect_format(data, complete=True)
    assert fmt.line_terminator == "\r\n"
    assert fmt.thousands == ","  # inside quotes, so pandas can still read them as numbers
    semicolon = detect_format(b"a;b\nx;1.234.567,5\ny;2.345,25\nz;10,5\n", complete=True)
    assert (semicolon.decimal, semicolon.thousands) == (",", ".")


def test_skipinitialspace_detected() -> None:
    data = b'name, note, value\nann, "hello, world", 1\nbob, "bye, now", 2\ncid, "x, y", 3\n'
    fmt = detect_format(data, complete=True)
    assert fmt.skipinitialspace is True
    assert (fmt.delimiter, fmt.quotechar) == (",", '"')


@pytest.mark.parametrize("encoding", ["utf-8", "cp932", "utf-16"])
def test_sample_cut_inside_a_multibyte_character(encoding: str) -> None:
    words = "japanese" if encoding != "utf-16" else "latin"
    data = Table(words=words, encoding=encoding, rows=200).render()
    # Cut one byte into a multibyte character near the end of the sample.
    cut = len(data) - 7
    while cut > 0 and data[cut] < 0x80 and encoding != "utf-16":
        cut -= 1
    fmt = detect_format(data[: cut + 1], complete=False)
    assert fmt.delimiter == ","
    assert fmt.has_header is True
    assert fmt.encoding in (encoding, "cp932") or data.decode(fmt.encoding)


tables = st.builds(
    Table,
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    has_header=st.booleans(),
    decimal=st.sampled_from([".", ","]),
    preamble=st.sampled_from([[], ["Report title"], ["Report", "", "Filters: none"]]),
    encoding=st.sampled_from(["utf-8", "cp1252", "utf-8-sig", "utf-16"]),
    terminator=st.sampled_from(["\n", "\r\n"]),
    words=st.sampled_from(["ascii", "latin"]),
    rows=st.integers(min_value=8, max_value=60),
    seed=st.integers(min_value=0, max_value=10_000),
    text_with_delimiter=st.booleans(),
)


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(table=tables)
def test_any_generated_table_reads_back(table: Table) -> None:
    data = table.render()
    fmt = detect_format(data, complete=True)
    assert_reads_back(table, fmt, data)


def test_key_value_preamble_before_the_table() -> None:
    data = (
        b"Device: sensor-17\nLocation: Lab 3, bench 2\nStarted: 2024-01-01 10:00\n\n"
        b"time,temp,humidity\n10:00:00,21.5,40\n10:01:00,21.6,41\n10:02:00,21.4,40\n"
    )
    fmt = detect_format(data, complete=True)
    assert (fmt.skip_rows, fmt.has_header, fmt.delimiter) == (4, True, ",")


def test_all_text_table_header_versus_no_header() -> None:
    rows = b"red,apple,sweet\ngreen,lime,sour\nyellow,banana,sweet\npurple,grape,sweet\n"
    assert detect_format(b"color,fruit,taste\n" + rows, complete=True).has_header is True
    assert detect_format(rows, complete=True).has_header is False


def test_space_aligned_columns() -> None:
    data = (
        b"   id    name   score\n"
        b"    1   alice    3.25\n    2     bob   10.50\n    3   carol    7.00\n"
    )
    fmt = detect_format(data, complete=True)
    assert (fmt.delimiter, fmt.has_header) == (" ", True)


def test_excel_sep_line_names_the_delimiter_and_is_skipped() -> None:
    data = b"sep=;\r\nname;value\r\nanna;1,5\r\nbob;2,25\r\ncid;3\r\n"
    fmt = detect_format(data, complete=True)
    assert (fmt.delimiter, fmt.skip_rows, fmt.has_header, fmt.decimal) == (";", 1, True, ",")


def test_skipinitialspace_not_fooled_by_commas_inside_quotes() -> None:
    data = b'a,b\n"x, y, z",1\n"p, q, r",2\n"s, t, u",3\n'
    assert detect_format(data, complete=True).skipinitialspace is False


MIXED_TEXT = ["apple", "Berlin", "New York", "São Paulo", "café", "Smith, John", "a;b", "O'Brien"]
MIXED_NAMES = ["id", "Name", "total amount", "Größe", "city", "x1", "Value (EUR)", "flag", "code"]


def _mixed_cell(kind: str, rng: random.Random, decimal: str) -> str:
    if kind == "int":
        return str(rng.randint(-500, 100_000))
    if kind == "float":
        return f"{rng.uniform(-1000, 1000):.{rng.randint(1, 4)}f}".replace(".", decimal)
    if kind == "percent":
        return f"{rng.uniform(0, 100):.1f}%".replace(".", decimal)
    if kind == "date":
        return f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.20{rng.randint(10, 24)}"
    if kind == "bool":
        return rng.choice(["true", "false"])
    if kind == "code":
        return f"{rng.choice('ABCDEF')}{rng.randint(100, 999)}"
    return rng.choice(MIXED_TEXT)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_mixed_types_with_empty_cells(seed: int) -> None:
    """Narrow and wide tables of mixed types where a tenth of the cells are empty."""
    rng = random.Random(seed)
    delimiter = rng.choice([",", ";", "\t", "|"])
    decimal = rng.choice([".", ","])
    kinds = [rng.choice(["int", "float", "percent", "date", "bool", "text", "code"])]
    kinds += [rng.choice(["int", "float", "percent", "date", "bool", "text", "code"])]
    kinds += rng.choices(["int", "float", "text", "code"], k=rng.randint(0, 6))
    kinds[0] = kinds[0] if set(kinds) & {"int", "float", "percent", "date"} else "float"
    has_header = rng.random() < 0.75
    out = io.StringIO(newline="")
    writer = csv.writer(
        out,
        delimiter=delimiter,
        quoting=rng.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
    )
    if has_header:
        writer.writerow(rng.sample(MIXED_NAMES, len(kinds)))
    for _ in range(rng.randint(4, 40)):
        writer.writerow(["" if rng.random() < 0.1 else _mixed_cell(k, rng, decimal) for k in kinds])
    fmt = detect_format(out.getvalue().encode("utf-8"), complete=True)
    assert fmt.delimiter == delimiter
    assert fmt.has_header is has_header
    assert fmt.skip_rows == 0
    if {"float", "percent"} & set(kinds):
        assert fmt.decimal == decimal
