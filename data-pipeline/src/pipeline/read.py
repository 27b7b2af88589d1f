"""Read a delimited file in chunks with a detected format (bounded memory, any size)."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.clean import MISSING_MARKERS
from pipeline.sniff import CsvFormat


class UnreadableTableError(ValueError):
    """The file could not be parsed with its detected format (message in plain words)."""


def read_options(fmt: CsvFormat) -> dict[str, Any]:
    """pandas `read_csv` keyword arguments that parse a file of format `fmt`."""
    options: dict[str, Any] = {
        "sep": fmt.delimiter,
        "encoding": fmt.encoding,
        "encoding_errors": "strict",
        "skiprows": fmt.skip_rows,
        "header": list(range(fmt.header_rows))
        if fmt.has_header and fmt.header_rows > 1
        else (0 if fmt.has_header else None),
        "decimal": fmt.decimal,
        "thousands": fmt.thousands,
        "na_values": MISSING_MARKERS,
        "keep_default_na": False,
        "skipinitialspace": fmt.skipinitialspace or fmt.delimiter == " ",
        "skip_blank_lines": True,
        "low_memory": True,
        "engine": "c",
    }
    if fmt.quotechar is None:
        options["quoting"] = csv.QUOTE_NONE
    else:
        options["quotechar"] = fmt.quotechar
        options["doublequote"] = fmt.escapechar is None
    if fmt.escapechar:
        options["escapechar"] = fmt.escapechar
    if fmt.comment:
        options["comment"] = fmt.comment
    if fmt.delimiter == " ":
        # Space-separated files align columns with runs of spaces.
        options["sep"] = r"\s+"
        options.pop("skipinitialspace")
    return options


def _plain_parser_error(error: Exception) -> str:
    text = str(error)
    if "Expected" in text and "fields" in text:
        return f"rows do not have a consistent number of columns ({text.strip()})"
    if "EOF inside string" in text or "EOF inside" in text:
        return f"a quoted field is never closed ({text.strip()})"
    return f"the file could not be parsed as a table: {text.strip()}"


@contextmanager
def _counting(path: Path, on_bytes: Callable[[int], None] | None) -> Iterator[io.BufferedReader]:
    handle = path.open("rb")
    try:
        yield handle
    finally:
        if on_bytes:
            on_bytes(handle.tell())
        handle.close()


# pandas buffers a whole line before splitting it: one line of gigabytes (the zero tail
# of a preallocated or sparse file) would take gigabytes of memory.
MAX_LINE_BYTES = 64 * 1024 * 1024


class _GuardedFile(io.RawIOBase):
    """The raw file as pandas reads it; refuses NUL bytes and endless lines as they pass."""

    def __init__(self, handle: io.BufferedReader, check_nul: bool) -> None:
        super().__init__()
        self._handle = handle
        self._check_nul = check_nul
        self._offset = 0
        self._line_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._handle.readinto(buffer)
        if count:
            self._inspect(bytes(memoryview(buffer)[:count]))
        return count

    def _inspect(self, block: bytes) -> None:
        nul = block.find(b"\x00") if self._check_nul else -1
        if nul >= 0:
            raise UnreadableTableError(
                f"the file holds NUL bytes from byte {self._offset + nul:,} on: it is partly "
                "binary (for example preallocated, or cut off while being written)"
            )
        last_break = max(block.rfind(b"\n"), block.rfind(b"\r"))
        if last_break < 0:
            self._line_bytes += len(block)
        else:
            self._line_bytes = len(block) - last_break - 1
        self._offset += len(block)
        if self._line_bytes > MAX_LINE_BYTES:
            raise UnreadableTableError(
                f"a line longer than {MAX_LINE_BYTES // (1024 * 1024)} MB runs up to byte "
                f"{self._offset:,}: this is not a table row (binary data or a broken file)"
            )


def _first_undecodable(path: Path, encoding: str) -> tuple[int, int, str] | None:
    """Byte offset, line number and reason of the first bytes that do not decode (streamed)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset, lines = 0, 1
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            pending = decoder.getstate()[0]
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                position = max(offset - len(pending) + error.start, 0)
                line = lines + block[: max(position - offset, 0)].count(b"\n")
                return position, line, error.reason
            offset += len(block)
            lines += block.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            return offset, lines, error.reason
    return None


def _keep(frame: pd.DataFrame) -> pd.DataFrame:
    return frame


def _shape_fixer(first: pd.DataFrame) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Repair the two ways a header can be one field off, decided on the first chunk.

    When data rows have one field more than the header, pandas makes the first field the
    index. Two real causes: a trailing delimiter on every data row (the last column then
    comes out empty: shift the names back and drop it) and R's `write.table` row names
    (the header lacks their name: keep them as a `row_name` column). A header written
    `# "a" "b"` (numpy/R style) has one field more than the data: drop the `#` name.
    """
    columns = list(first.columns)
    # A default index starts at 0; R's row names "1", "2"... come out as RangeIndex(1, ...).
    if not (isinstance(first.index, pd.RangeIndex) and first.index.start == 0):
        if columns and first[columns[-1]].isna().all():
            names = columns

            def shift(frame: pd.DataFrame) -> pd.DataFrame:
                shifted = frame.reset_index().iloc[:, : len(names)]
                shifted.columns = pd.Index(names)
                return shifted

            return shift

        def row_names(frame: pd.DataFrame) -> pd.DataFrame:
            return frame.rename_axis("row_name").reset_index()

        return row_names
    if len(columns) > 1 and str(columns[0]).strip() == "#" and first[columns[-1]].isna().all():
        names = columns[1:]

        def drop_hash(frame: pd.DataFrame) -> pd.DataFrame:
            dropped = frame.iloc[:, : len(names)]
            dropped.columns = pd.Index(names)
            return dropped

        return drop_hash
    return _keep


def needs_shape_fix(first: pd.DataFrame) -> bool:
    """Whether the first chunk shows a header one field off (see `_shape_fixer`)."""
    return _shape_fixer(first) is not _keep


def name_headerless(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of a file without a header are called `column_1`, `column_2`..."""
    frame.columns = [f"column_{i + 1}" for i in range(frame.shape[1])]
    return frame


def iter_chunks(
    path: Path,
    fmt: CsvFormat,
    chunk_rows: int,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield DataFrames of at most `chunk_rows` rows; the header becomes the columns.

    Raises `UnreadableTableError` (plain words) for ragged rows, broken quoting or bytes
    that do not decode with the detected encoding.
    """
    options = read_options(fmt)
    with _counting(path, on_bytes) as handle:
        try:
            # UTF-16/32 text is full of NUL bytes; in any other encoding they mean binary.
            wide = codecs.lookup(fmt.encoding).name.startswith(("utf-16", "utf-32"))
            guarded = _GuardedFile(handle, check_nul=not wide)
            reader = pd.read_csv(
                io.BufferedReader(guarded, 1024 * 1024), chunksize=chunk_rows, **options
            )
            with reader:
                fix_shape: Callable[[pd.DataFrame], pd.DataFrame] | None = None
                for raw_chunk in reader:
                    fix_shape = fix_shape or _shape_fixer(raw_chunk)
                    chunk = fix_shape(raw_chunk)
                    if isinstance(chunk.columns, pd.MultiIndex):
                        chunk.columns = [
                            " ".join(str(p) for p in parts if not str(p).startswith("Unnamed"))
                            for parts in chunk.columns
                        ]
                    if not fmt.has_header:
                        chunk = name_headerless(chunk)
                    if on_bytes:
                        on_bytes(handle.tell())
                    yield chunk
        except UnicodeDecodeError as error:
            # error.start counts from pandas' internal buffer, not the file: find the place.
            where = _first_undecodable(path, fmt.encoding)
            place, reason = (
                (f"at byte {where[0]:,} (line {where[1]:,})", where[2])
                if where
                else ("somewhere in the file", error.reason)
            )
            raise UnreadableTableError(
                f"the text {place} does not decode as {fmt.encoding} "
                f"(the file mixes encodings or is partly binary): {reason}"
            ) from error
        except UnreadableTableError:
            raise
        except pd.errors.EmptyDataError as error:
            raise UnreadableTableError("the file has no rows to read") from error
        except (pd.errors.ParserError, ValueError) as error:
            raise UnreadableTableError(_plain_parser_error(error)) from error
