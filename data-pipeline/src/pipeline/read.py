"""Read a delimited file in chunks with a detected format (bounded memory, any size)."""

from __future__ import annotations

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
            reader = pd.read_csv(handle, chunksize=chunk_rows, **options)
            with reader:
                for chunk in reader:
                    if isinstance(chunk.columns, pd.MultiIndex):
                        chunk.columns = [
                            " ".join(str(p) for p in parts if not str(p).startswith("Unnamed"))
                            for parts in chunk.columns
                        ]
                    if not fmt.has_header:
                        chunk.columns = [f"column_{i + 1}" for i in range(chunk.shape[1])]
                    if on_bytes:
                        on_bytes(handle.tell())
                    yield chunk
        except UnicodeDecodeError as error:
            raise UnreadableTableError(
                f"bytes near offset {error.start} do not decode as {fmt.encoding} "
                f"(the file mixes encodings or is partly binary): {error.reason}"
            ) from error
        except pd.errors.EmptyDataError as error:
            raise UnreadableTableError("the file has no rows to read") from error
        except (pd.errors.ParserError, ValueError) as error:
            raise UnreadableTableError(_plain_parser_error(error)) from error
