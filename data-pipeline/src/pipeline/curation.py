"""One attempt at curating a file: typed blocks in file order in, one Parquet work file out.

Blocks are prepared (parsed, cleaned, typed, hashed, checked) on worker threads and come
here in file order. Here duplicate rows are counted across blocks (and dropped under the
drop policy), every block is validated, and the passing ones are appended to a local work
file. The first `validation_rows` rows (the whole file for small files) are validated by
great-expectations on a thread of their own, which also renders the Data Docs; later
blocks by `validate_frame_fast`, the same suite vectorised. The work file is published by
the caller only when every block passed (`failures` is empty after `finish`).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.clean import ConversionStats
from pipeline.datasets import DatasetSpec
from pipeline.row_hashes import DuplicateCounter

if TYPE_CHECKING:
    from pipeline.validate import ValidationReport


@dataclass
class PreparedBlock:
    """One block, typed and checked on a worker thread, waiting for its turn."""

    frame: pd.DataFrame
    table: pa.Table
    hashes: np.ndarray
    stats: ConversionStats
    rows_read: int
    fast_report: ValidationReport | None = None
    end_byte: int | None = None


@dataclass
class SourceInfo:
    """What the Parquet file records about where its rows came from."""

    raw_key: str
    sha256: str
    format: dict[str, object] | None
    batch_id: str


def dictionary_columns(schema: pa.Schema) -> list[str]:
    """Columns worth a Parquet dictionary: everything but floats.

    Measured values (floats) rarely repeat enough for a dictionary: the writer fills one
    per row group, finds it too big and falls back to plain, which costs ~35% of the
    write time. Text, integers and booleans do repeat (categories, codes, scores).
    """
    return [f.name for f in schema if not pa.types.is_floating(f.type)]


def table_of(frame: pd.DataFrame, schema: pa.Schema | None) -> pa.Table:
    """`frame` as an Arrow table with `schema` (the first block's), index dropped.

    Without a schema (the first block) pyarrow infers one. With it, each column is
    converted as `Table.from_pandas` would, except float columns without a NaN: those are
    wrapped without pyarrow's per-value scan for NaN (missing) values, the bulk of the
    conversion's time (0.7 ms instead of 4.3 ms for a block of 215k rows and 12 columns).
    """
    if schema is None:
        # nthreads=1: blocks are converted on worker threads already; pyarrow would start
        # a thread pool of its own for every block.
        return pa.Table.from_pandas(frame, preserve_index=False, nthreads=1)
    arrays = []
    for column_field in schema:
        column = frame[column_field.name]
        if column.dtype == np.float64 and column_field.type == pa.float64():
            values = column.to_numpy()
            arrays.append(pa.array(values, from_pandas=bool(np.isnan(values).any())))
        else:
            arrays.append(pa.array(column, type=column_field.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


class _BackgroundFlush:
    """Sends a growing file's bytes to disk while it is being written.

    The file is fsynced before it is published; flushed as it grows, that last fsync
    finds little left to write instead of the whole file.
    """

    def __init__(self, path: Path) -> None:
        self._descriptor = os.open(path, os.O_RDONLY)
        self._wanted = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="curate-flush", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Ask for a flush of what is written so far (coalesced with one in progress)."""
        self._wanted.set()

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._closing:
                return
            try:
                os.fdatasync(self._descriptor)
            except OSError:  # a filesystem without it: the publisher's fsync does it all
                return

    def close(self) -> None:
        """Stop flushing (the final fsync is the publisher's)."""
        self._closing = True
        self._wanted.set()
        self._thread.join()
        os.close(self._descriptor)


@dataclass
class Curation:
    """The ordered half of one curation attempt (see module docstring); main thread only."""

    path: Path
    spec: DatasetSpec
    # Called once, before the first block is taken: the raw file's identity may still be
    # being hashed while the first blocks are prepared.
    identify: Callable[[], SourceInfo]
    duplicates: DuplicateCounter
    validation_rows: int
    rows_read: int = 0
    rows_written: int = 0
    stats: ConversionStats = field(default_factory=ConversionStats)
    schema: pa.Schema | None = None
    report: ValidationReport | None = None
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _writer: pq.ParquetWriter | None = None
    _first_blocks: list[pd.DataFrame] = field(default_factory=list)
    _first_rows: int = 0
    _first_check: threading.Thread | None = None
    _first_report: ValidationReport | None = None
    _first_error: BaseException | None = None
    _blocks: int = 0
    _flush: _BackgroundFlush | None = None
    _source: SourceInfo | None = None

    @property
    def source(self) -> SourceInfo:
        """The raw file's identity (known from the first `take` on)."""
        if self._source is None:
            self._source = self.identify()
        return self._source

    def fix_schema(self, first: pa.Table) -> pa.Schema:
        """The file's schema: the first block's (every later block is converted to it)."""
        self.schema = first.schema
        return self.schema

    def take(self, block: PreparedBlock) -> bool:
        """Count, validate and write the next block; False once a block failed."""
        from pipeline.fast_validate import validate_frame_fast

        source = self.source
        if self._first_error is not None:
            raise self._first_error
        if self._first_report is not None and not self._first_report.success:
            return False
        self.rows_read += block.rows_read
        for name, count in block.stats.coerced.items():
            self.stats.add(name, count)
        keep = self.duplicates.take(block.hashes)
        frame, table = block.frame, block.table
        if keep is not None and not keep.all():
            frame, table = frame[keep], table.filter(pa.array(keep))
        else:
            keep = None
        if frame.empty:
            return True
        report = block.fast_report
        if self._first_check is None:
            # The first `validation_rows` rows go to great-expectations; the rest of the
            # block that completes them is checked like any later block.
            head = self.validation_rows - self._first_rows
            self._first_blocks.append(frame.iloc[:head])
            self._first_rows += min(head, len(frame))
            if self._first_rows >= self.validation_rows:
                self._start_first_check()
            if head >= len(frame):
                self._write(table)
                return True
            self._write(table.slice(0, head))
            frame, table, report = frame.iloc[head:], table.slice(head), None
        self._blocks += 1
        batch_id = f"{source.batch_id[:16]}-{self._blocks}"
        if report is None or keep is not None:  # the verdict is on the rows that stay
            report = validate_frame_fast(frame, self.spec, batch_id=batch_id)
        self.warnings.extend(w for w in report.warnings if w not in self.warnings)
        if not report.success:
            from pipeline.validate import validate_frame

            # People get the Data Docs of the failing block.
            self.report = validate_frame(frame, self.spec, batch_id=batch_id)
            self.failures = list(self.report.critical_failures)
            return False
        self._write(table)
        return True

    def finish(self) -> None:
        """Validate what is left of the first rows, wait for great-expectations, settle."""
        if self._first_check is None and self._first_blocks and not self.failures:
            self._start_first_check()
        self._join_first_check()
        if self._first_error is not None:
            raise self._first_error
        first = self._first_report
        if first is None:
            return
        self.warnings[:0] = [w for w in first.warnings if w not in self.warnings]
        if not first.success:  # the earliest failing block is the one reported
            self.report = first
            self.failures = list(first.critical_failures)
        else:
            self.report = self.report or first

    def close(self) -> None:
        """Wait for the great-expectations thread and close the work file (idempotent)."""
        self._join_first_check()
        self.duplicates.close()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._flush is not None:
            self._flush.close()
            self._flush = None

    def _start_first_check(self) -> None:
        block = (
            self._first_blocks[0]
            if len(self._first_blocks) == 1
            else pd.concat(self._first_blocks, ignore_index=True)
        )
        self._first_blocks = []
        self._first_check = threading.Thread(
            target=self._check_first, args=(block,), name="curate-gx", daemon=True
        )
        self._first_check.start()

    def _join_first_check(self) -> None:
        if self._first_check is not None:
            self._first_check.join()

    def _check_first(self, block: pd.DataFrame) -> None:
        from pipeline.validate import validate_frame

        try:
            self._first_report = validate_frame(
                block, self.spec, batch_id=self.source.batch_id[:16]
            )
        except BaseException as error:  # re-raised on the caller's thread
            self._first_error = error

    def _write(self, table: pa.Table) -> None:
        if self._writer is None:
            assert self.schema is not None, "fix_schema() is called on the first block"
            source = {"raw_key": self.source.raw_key, "sha256": self.source.sha256,
                      "format": self.source.format}  # fmt: skip
            # Only the source: without pandas' metadata, readers get plain numpy dtypes.
            schema = self.schema.with_metadata({b"pipeline.source": json.dumps(source).encode()})
            # snappy: pyarrow's and pandas' default; zstd's smaller files cost 2x the time.
            self._writer = pq.ParquetWriter(
                self.path,
                schema,
                compression="snappy",
                use_dictionary=dictionary_columns(self.schema),
            )
            self._flush = _BackgroundFlush(self.path)
        # One row group per block (pyarrow splits blocks over its 1Mi-row cap).
        self._writer.write_table(table)
        self.rows_written += table.num_rows
        if self._flush is not None:
            self._flush.poke()
