"""Cut a delimited file at line breaks into byte blocks that parse independently.

pandas parses one stream on one core; blocks parse on several threads at once (the C
tokenizer and number conversion release the GIL). A cut is only safe outside quoted
fields, and a cut in the wrong place cannot go unnoticed: the block before it then ends
inside a quoted field, and pandas refuses to parse it. The caller treats any parse error
in a block as "read this file as one stream instead", where the serial reader reports
the problem (if it is one) with its proper line numbers.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from pipeline.read import read_options
from pipeline.sniff import CsvFormat


class NotSplittable(Exception):
    """This file (or part of it) cannot be cut into independent blocks; stream it."""


def _one_byte_or_utf8(encoding: str) -> bool:
    # A line break byte must always be a line break: true for UTF-8 (continuation bytes
    # are >= 0x80) and for any one-byte code page, not for UTF-16/32.
    name = codecs.lookup(encoding).name
    if name in {"utf-8", "utf-8-sig", "ascii"}:
        return True
    decoded = bytes(range(256)).decode(name, errors="replace")
    return len(decoded) == 256 and decoded[10] == "\n"


def why_not_splittable(fmt: CsvFormat) -> str | None:
    """Why a file of format `fmt` must be read as one stream, or None when it can be cut."""
    if not _one_byte_or_utf8(fmt.encoding):
        return f"{fmt.encoding} text is not cut at line-break bytes"
    if fmt.escapechar:
        return "an escape character can hide a line break inside a field"
    if fmt.has_header and fmt.header_rows > 1:
        return "the header spans several rows"
    return None


_QUOTE_SLICE = 1 << 18


def _quotes(data: bytes, start: int, end: int, quote: int) -> int:
    # numpy compares 3-4x faster than bytes.count on a block of megabytes. The comparison
    # goes slice by slice through one small buffer: a fresh block-sized result made the
    # kernel zero 16 MiB of new pages per block (2.5% of an ingest's CPU time).
    view = np.frombuffer(data, np.uint8, end - start, start)
    scratch = np.empty(min(len(view), _QUOTE_SLICE), dtype=bool)
    total = 0
    for offset in range(0, len(view), _QUOTE_SLICE):
        part = view[offset : offset + _QUOTE_SLICE]
        total += int(np.count_nonzero(np.equal(part, quote, out=scratch[: len(part)])))
    return total


def _outside_quotes_cut(data: bytes, quote: int | None) -> int:
    """Position just after the last line break of `data` that is outside quoted fields.

    Counts quote characters from the block start (which is outside quotes): an even count
    before a line break puts it outside (doubled quotes inside a field count twice). 0 when
    no line break is outside quotes. After a bounded search it settles for the last line
    break: a wrong cut is caught when the block is parsed.
    """
    last = data.rfind(b"\n")
    if last < 0 or quote is None:
        return last + 1
    parity = _quotes(data, 0, last, quote) % 2
    position = last
    for _ in range(10_000):
        if parity == 0:
            return position + 1
        previous = data.rfind(b"\n", 0, position)
        if previous < 0:
            return 0
        parity ^= _quotes(data, previous, position, quote) % 2
        position = previous
    return last + 1


class BlockFile(io.RawIOBase):
    """A read-only file over part of a bytes object, without copying it (unlike BytesIO)."""

    def __init__(self, view: memoryview) -> None:
        super().__init__()
        self._view = view
        self._position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), len(self._view) - self._position)
        memoryview(buffer)[:count] = self._view[self._position : self._position + count]
        self._position += count
        return count


def iter_blocks(
    handle: BinaryIO, block_bytes: int, quotechar: str | None, *, check_nul: bool = True
) -> Iterator[memoryview]:
    """Consecutive blocks of about `block_bytes` bytes, each ending after a line break.

    The last block ends where the file ends. Each block is read once and not copied: the
    bytes after a cut are read again as the start of the next block. Raises
    `NotSplittable` when a line is longer than a block, or on a NUL byte (`check_nul`):
    the stream reader explains both.
    """
    quote = ord(quotechar) if quotechar and ord(quotechar) < 128 else None
    position = handle.tell()
    size = block_bytes
    while True:
        handle.seek(position)
        data = handle.read(size)
        if not data:
            return
        if check_nul and data.find(b"\x00") >= 0:
            raise NotSplittable("the file holds NUL bytes")
        cut = len(data) if len(data) < size else _outside_quotes_cut(data, quote)
        if cut == 0:
            if size >= 4 * block_bytes:
                raise NotSplittable(f"a line is longer than {size:,} bytes")
            size *= 2  # a long line (or quoted field): read more at once
            continue
        size = block_bytes
        position += cut
        yield memoryview(data)[:cut]


def later_block_options(fmt: CsvFormat, names: list[str]) -> dict[str, Any]:
    """`read_csv` options for every block after the first: data rows only, named columns."""
    options = read_options(fmt)
    options.update(header=None, names=names, skiprows=None)
    if codecs.lookup(fmt.encoding).name == "utf-8-sig":
        # Only the file's start may hold a byte-order mark; the stream reader keeps one
        # met later as text, and so must a block.
        options["encoding"] = "utf-8"
    return options


def parse_block(
    data: memoryview, options: dict[str, Any], columns: int | None = None
) -> pd.DataFrame:
    """Parse one block; raises `NotSplittable` when it does not parse as `columns` fields.

    pandas silently makes the first field an index when a block's first row has one field
    more than the names, so that, too, counts as a failed block.
    """
    try:
        frame: pd.DataFrame = pd.read_csv(BlockFile(data), **options)
    except pd.errors.EmptyDataError:
        if columns is None:
            raise NotSplittable("the first block has no rows") from None
        return pd.DataFrame({name: pd.Series(dtype=object) for name in options["names"]})
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise NotSplittable(f"a block did not parse on its own: {error}") from error
    if columns is not None and not (
        isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0
    ):
        raise NotSplittable("a block's first row has more fields than the header")
    return frame
