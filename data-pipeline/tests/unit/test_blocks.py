"""blocks.py: cutting a file at line breaks outside quotes, and parsing blocks alone."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.blocks import (
    _QUOTE_SLICE,
    NotSplittable,
    _quotes,
    iter_blocks,
    later_block_options,
    parse_block,
    why_not_splittable,
)
from pipeline.sniff import detect_format

pytestmark = [pytest.mark.unit]


def _cells() -> st.SearchStrategy[str]:
    plain = st.text(alphabet="abc 12,;", max_size=8)
    quoted = st.text(alphabet='ab\n;,"x', max_size=12).map(
        lambda v: '"' + v.replace('"', '""') + '"'
    )
    return st.one_of(plain, quoted)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.lists(_cells(), min_size=3, max_size=3), min_size=1, max_size=60),
    block_bytes=st.integers(min_value=8, max_value=200),
)
def test_blocks_rebuild_the_file_and_cut_only_outside_quotes(
    rows: list[list[str]], block_bytes: int
) -> None:
    data = "".join(";".join(row) + "\n" for row in rows).encode()
    try:
        blocks = [bytes(block) for block in iter_blocks(io.BytesIO(data), block_bytes, '"')]
    except NotSplittable:
        return  # a row longer than four blocks: the caller streams the file
    assert b"".join(blocks) == data
    for block in blocks:
        assert block.count(b'"') % 2 == 0, "a cut inside a quoted field"
        assert block.endswith(b"\n")


def test_quotes_are_counted_across_the_slices_of_a_big_block() -> None:
    size = 2 * _QUOTE_SLICE + 1000
    positions = [0, 5, _QUOTE_SLICE - 1, _QUOTE_SLICE, 2 * _QUOTE_SLICE + 1, size - 1]
    data = bytearray(b"x" * size)
    for position in positions:
        data[position] = ord('"')
    block = bytes(data)
    assert _quotes(block, 0, size, ord('"')) == len(positions)
    assert _quotes(block, 5, _QUOTE_SLICE, ord('"')) == 2  # start inclusive, end exclusive
    assert _quotes(block, 3, 3, ord('"')) == 0
    assert _quotes(block, 1, size - 1, ord('"')) == block.count(b'"', 1, size - 1)


def test_a_file_without_a_final_line_break_ends_in_its_last_block() -> None:
    data = b"a;b\n1;2\n3;4"
    assert b"".join(bytes(b) for b in iter_blocks(io.BytesIO(data), 5, '"')) == data


def test_an_endless_line_and_nul_bytes_are_not_split() -> None:
    with pytest.raises(NotSplittable, match="longer"):
        list(iter_blocks(io.BytesIO(b"x" * 10_000 + b"\n"), 100, '"'))
    with pytest.raises(NotSplittable, match="NUL"):
        list(iter_blocks(io.BytesIO(b"a;b\n" * 100 + b"\x00" * 50), 64, '"'))


@pytest.mark.parametrize(
    ("data", "encoding", "splittable"),
    [
        ("a;b\n1,5;2\n", "utf-8", True),
        ("a;b\n1,5;é\n", "cp1252", True),
        ("a;b\n1,5;é\n", "mac-roman", True),
        ("a;b\n1,5;2\n", "utf-16", False),
        ("a;b\n1,5;日本\n", "shift_jis", False),
    ],
)
def test_only_encodings_where_a_line_break_byte_is_a_line_break_are_split(
    data: str, encoding: str, splittable: bool
) -> None:
    fmt = replace(detect_format(data.encode(encoding) * 3, complete=True), encoding=encoding)
    assert (why_not_splittable(fmt) is None) is splittable


def test_a_block_whose_first_row_has_an_extra_field_is_refused() -> None:
    """pandas would silently make that field an index; the stream reader reports it."""
    fmt = detect_format(b'a;b;c\n1;"2";3\n4;"5";6\n', complete=True)
    assert fmt.quotechar == '"'
    options = later_block_options(fmt, ["a", "b", "c"])
    assert parse_block(memoryview(b"1;2;3\n"), options, columns=3).shape == (1, 3)
    with pytest.raises(NotSplittable):
        parse_block(memoryview(b"1;2;3;9\n4;5;6\n"), options, columns=3)
    with pytest.raises(NotSplittable):
        parse_block(memoryview(b'1;2;"3\n'), options, columns=3)
