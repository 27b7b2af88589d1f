"""From a local raw file to a curated Parquet file: the content half of ingestion."""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.clean import (
    ColumnPlan,
    ConversionStats,
    clean_column_names,
    convert_column,
    infer_column_type,
    strip_text,
)
from pipeline.datasets import DatasetSpec
from pipeline.lake import Lake
from pipeline.outcome import DataProblem, IngestOutcome
from pipeline.read import UnreadableTableError, iter_chunks
from pipeline.settings import PipelineSettings
from pipeline.sniff import CsvFormat, NotATableError, detect_format

if TYPE_CHECKING:
    from pipeline.validate import ValidationReport

logger = logging.getLogger(__name__)


def hive_columns(raw_key: str) -> dict[str, str]:
    """`key=value` folders of a raw key as columns: `raw/ds/wine_type=red/a.csv` -> wine_type."""
    from pipeline.clean import clean_column_name

    columns: dict[str, str] = {}
    for part in raw_key.split("/")[2:-1]:
        if "=" in part:
            name, _, value = part.partition("=")
            if clean_column_name(name):
                columns[clean_column_name(name)] = value
    return columns


def _plan_columns(first: pd.DataFrame, spec: DatasetSpec) -> list[ColumnPlan]:
    missing = [name for name in spec.columns if name not in first.columns]
    if spec.target in missing:
        raise DataProblem(
            f"the file has no {spec.target!r} column, the target of dataset {spec.name!r} "
            f"(columns found: {', '.join(map(str, first.columns))})"
        )
    if missing:
        raise DataProblem(
            f"the file lacks declared column(s) {', '.join(missing)} of dataset {spec.name!r} "
            f"(columns found: {', '.join(map(str, first.columns))})"
        )
    plans = []
    for column in first.columns:
        declared = spec.columns.get(str(column))
        if declared is not None:
            plans.append(ColumnPlan(str(column), declared.type))
        else:
            plans.append(infer_column_type(first[column]))
    return plans


class _SeenHashes:
    """Row hashes seen so far, for dropping duplicates: 8 bytes a unique row.

    Sorted numpy runs merged like a log-structured tree (a run is merged into the one
    before it once it is as big), so membership is a few binary searches and every hash
    is copied O(log n) times. A Python set would cost ~70 bytes a row.
    """

    def __init__(self) -> None:
        self.runs: list[np.ndarray] = []

    def contains(self, hashes: np.ndarray) -> np.ndarray:
        found = np.zeros(len(hashes), dtype=bool)
        for run in self.runs:
            where = np.searchsorted(run, hashes)
            inside = where < len(run)
            found[inside] |= run[where[inside]] == hashes[inside]
        return found

    def add(self, hashes: np.ndarray) -> None:
        run = np.sort(hashes)
        while self.runs and len(self.runs[-1]) <= len(run):
            run = np.concatenate([self.runs.pop(), run])
            run.sort(kind="stable")
        self.runs.append(run)


class _HashSpill:
    """Row hashes for counting duplicates, spilled to disk in hash partitions.

    Counting repeats needs every row's hash; 8 bytes a row is 800 MB for 100M rows, so
    past `memory_rows` the hashes go to one of PARTITIONS files by their top bits. Equal
    hashes land in the same file, so repeats are counted one partition at a time.
    """

    PARTITIONS = 64

    def __init__(self, folder: Path, memory_rows: int = 4_000_000) -> None:
        self.folder = folder
        self.memory_rows = memory_rows
        self.buffered: list[np.ndarray] = []
        self.buffered_rows = 0
        self.spilled = False

    def add(self, hashes: np.ndarray) -> None:
        self.buffered.append(hashes)
        self.buffered_rows += len(hashes)
        if self.buffered_rows > self.memory_rows:
            self._spill()

    def _spill(self) -> None:
        hashes = np.concatenate(self.buffered)
        self.buffered, self.buffered_rows = [], 0
        partition = (hashes >> np.uint64(58)).astype(np.intp)  # top 6 bits: 64 partitions
        order = np.argsort(partition, kind="stable")
        bounds = np.searchsorted(partition[order], np.arange(self.PARTITIONS + 1))
        self.folder.mkdir(parents=True, exist_ok=True)
        for index in range(self.PARTITIONS):
            part = hashes[order[bounds[index] : bounds[index + 1]]]
            if len(part):
                with (self.folder / f"{index:02d}.u64").open("ab") as handle:
                    part.tofile(handle)
        self.spilled = True

    def count_repeats(self) -> int:
        """Rows whose hash appeared on an earlier row."""
        if not self.spilled:
            if not self.buffered:
                return 0
            # pandas' hash table counts repeats in one pass; np.unique sorts (10x slower).
            return int(pd.Series(np.concatenate(self.buffered)).duplicated().sum())
        if self.buffered:
            self._spill()
        repeats = 0
        for path in sorted(self.folder.glob("*.u64")):
            repeats += int(pd.Series(np.fromfile(path, dtype=np.uint64)).duplicated().sum())
        return repeats


class _DuplicateCounter:
    """Counts (and optionally filters) exact duplicate rows across chunks, in bounded memory."""

    def __init__(self, drop: bool, spill_folder: Path) -> None:
        self.drop = drop
        self.seen = _SeenHashes()
        self.spill = _HashSpill(spill_folder)
        self.dropped = 0

    def process(self, chunk: pd.DataFrame) -> pd.DataFrame:
        hashes = pd.util.hash_pandas_object(chunk, index=False).to_numpy()
        if not self.drop:
            self.spill.add(hashes)
            return chunk
        keep = ~pd.Series(hashes).duplicated().to_numpy()
        keep &= ~self.seen.contains(hashes)
        self.seen.add(hashes[keep])
        self.dropped += int((~keep).sum())
        return chunk[keep]

    def duplicates(self) -> int:
        if self.drop:
            return self.dropped
        return self.spill.count_repeats()


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    # Measured values (floats) rarely repeat enough for a dictionary: the writer fills one
    # per row group, finds it too big and falls back to plain, which costs ~35% of the
    # write time. Text, integers and booleans do repeat (categories, codes, scores).
    return [f.name for f in schema if not pa.types.is_floating(f.type)]


class _ValidatedSink:
    """Validates cleaned blocks and writes them to Parquet, off the parsing thread.

    The parsing thread cleans chunks and queues them (`add`); a writer thread counts
    duplicate rows, validates each block and writes it; the first block (the whole file
    for files of up to `validation_rows` rows) is validated by great-expectations on a
    third thread, which also renders the Data Docs. Hashing, vectorised checks and
    Parquet encoding are numpy and Arrow code that releases the GIL, so the threads
    overlap on two cores. At most one block waits in the queue, which bounds memory.

    great-expectations costs a second or more per call plus a per-row Python loop in
    range checks, so later blocks of a big file go through `validate_frame_fast`, the
    same suite vectorised. Blocks are written to a local work file as they come; the
    caller publishes it only when every block passed (`failures` is empty).
    """

    def __init__(
        self, path: Path, spec: DatasetSpec, outcome: IngestOutcome, duplicates: _DuplicateCounter
    ) -> None:
        self.path = path
        self.spec = spec
        self.outcome = outcome
        self.duplicates = duplicates
        self.pending: list[pd.DataFrame] = []
        self.pending_rows = 0
        self.blocks = 0
        self.writer: pq.ParquetWriter | None = None
        self.schema: pa.Schema | None = None
        self.report: ValidationReport | None = None
        self.failures: list[str] = []
        self.failed = threading.Event()
        self.error: BaseException | None = None
        self.later_warnings: list[str] = []
        self.first_report: ValidationReport | None = None
        self.first_check: threading.Thread | None = None
        self.queue: queue.Queue[pd.DataFrame | None] = queue.Queue(maxsize=1)
        self.worker = threading.Thread(target=self._work, name="curate-writer", daemon=True)
        self.worker.start()

    def add(self, chunk: pd.DataFrame, block_rows: int) -> bool:
        """Queue a chunk; hand a full block to the writer. False once a block failed."""
        if chunk.empty:
            return not self._stopped()
        self.pending.append(chunk)
        self.pending_rows += len(chunk)
        if self.pending_rows >= block_rows:
            self._hand_over()
        return not self._stopped()

    def finish(self) -> None:
        """Hand over what is queued, wait for every check and write, settle the verdict.

        Re-raises an exception a thread met (a storage or library error).
        """
        if not self._stopped():
            self._hand_over()
        self._stop_threads()
        if self.error is not None:
            raise self.error
        first = self.first_report
        if first is not None:
            for warning in [*first.warnings, *self.later_warnings]:
                if warning not in self.outcome.warnings:
                    self.outcome.warnings.append(warning)
            if not first.success:  # the earliest failing block is the one reported
                self.report = first
                self.failures = list(first.critical_failures)
            else:
                self.report = self.report or first
        if self.failures:
            self.failed.set()

    def close(self) -> None:
        """Stop the threads and close the Parquet file (safe to call twice)."""
        self._stop_threads()
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def _stopped(self) -> bool:
        first = self.first_report
        return (
            self.failed.is_set()
            or self.error is not None
            or (first is not None and not first.success)
        )

    def _hand_over(self) -> None:
        if not self.pending:
            return
        block = self.pending[0] if len(self.pending) == 1 else pd.concat(self.pending)
        self.pending, self.pending_rows = [], 0
        # The writer takes every block until the sentinel (it catches its own errors and
        # then drains), so a blocking put always returns.
        self.queue.put(block)

    def _stop_threads(self) -> None:
        if self.worker.is_alive():
            self.queue.put(None)
            self.worker.join()
        if self.first_check is not None:
            self.first_check.join()

    def _work(self) -> None:
        while (block := self.queue.get()) is not None:
            if self._stopped():
                continue  # drain: the parsing thread stops at its next chunk
            try:
                if not self._validate_and_write(self.duplicates.process(block)):
                    self.failed.set()
            except BaseException as error:  # re-raised on the caller's thread
                self.error = error

    def _check_first(self, block: pd.DataFrame, batch_id: str) -> None:
        from pipeline.validate import validate_frame

        try:
            self.first_report = validate_frame(block, self.spec, batch_id=batch_id)
        except BaseException as error:  # re-raised on the caller's thread
            self.error = error

    def _validate_and_write(self, block: pd.DataFrame) -> bool:
        from pipeline.fast_validate import validate_frame_fast
        from pipeline.validate import validate_frame

        if block.empty:
            return True
        batch_id = self.outcome.batch_id[:16] + (f"-{self.blocks}" if self.blocks else "")
        first = self.blocks == 0
        self.blocks += 1
        if first:
            # Written before its verdict: nothing reads the work file until `finish`.
            self.first_check = threading.Thread(
                target=self._check_first, args=(block, batch_id), name="curate-gx", daemon=True
            )
            self.first_check.start()
            self._write(block)
            return True
        report = validate_frame_fast(block, self.spec, batch_id=batch_id)
        self.later_warnings.extend(w for w in report.warnings if w not in self.later_warnings)
        if not report.success:
            # People get the Data Docs of the failing block.
            self.report = validate_frame(block, self.spec, batch_id=batch_id)
            self.failures = list(self.report.critical_failures)
            return False
        self._write(block)
        return True

    def _write(self, block: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(block, schema=self.schema, preserve_index=False)
        if self.writer is None:
            source = {"raw_key": self.outcome.raw_key, "sha256": self.outcome.sha256,
                      "format": self.outcome.format}  # fmt: skip
            self.schema = table.schema.with_metadata(
                {b"pipeline.source": json.dumps(source).encode()}
            )
            table = table.replace_schema_metadata(self.schema.metadata)
            # snappy: pyarrow's and pandas' default; zstd's smaller files cost 2x the time.
            self.writer = pq.ParquetWriter(
                self.path,
                self.schema,
                compression="snappy",
                use_dictionary=_dictionary_columns(self.schema),
            )
        # One row group per block (blocks are far below pyarrow's 1Mi-row cap).
        self.writer.write_table(table)
        self.outcome.rows_written += table.num_rows


# Excel's limit is 16,384; pandas takes seconds per thousand repeated header names.
MAX_COLUMNS = 10_000


def _first_row_width(sample: bytes, fmt: CsvFormat) -> int:
    """Fields in the first row of the sample (delimiters counted, quotes ignored)."""
    text = sample.decode(fmt.encoding, errors="replace")
    lines = text.splitlines()
    first = lines[fmt.skip_rows] if len(lines) > fmt.skip_rows else ""
    return first.count(fmt.delimiter) + 1


def _refuse_too_many_columns(columns: int) -> None:
    if columns > MAX_COLUMNS:
        raise DataProblem(
            f"the first row has {columns:,} columns; more than {MAX_COLUMNS:,} is refused "
            "(a table this wide is almost always a file without line breaks)"
        )


def chunk_rows_for(columns: int, settings: PipelineSettings) -> int:
    """Rows per parsed chunk: `chunk_rows`, fewer when `chunk_cells` says the rows are wide.

    A chunk's memory is about proportional to its cells, so narrow files get long chunks
    (less per-chunk overhead) and a file of thousands of columns short ones.
    """
    return max(1, min(settings.chunk_rows, settings.chunk_cells // max(columns, 1)))


def curate_file(
    path: Path,
    raw_key: str,
    spec: DatasetSpec,
    settings: PipelineSettings,
    outcome: IngestOutcome,
    work_dir: Path,
    *,
    lake: Lake,
    on_bytes: Callable[[int], None] | None = None,
) -> Path:
    """Sniff, parse, clean, validate `path`; return the written Parquet file.

    Fills `outcome` (format, row counts, duplicates, coerced cells, warnings) as it goes;
    raises `DataProblem` with a plain-words reason when the file must be quarantined.
    """
    with path.open("rb") as handle:
        sample = handle.read(settings.sniff_sample_bytes)
    size = path.stat().st_size
    try:
        fmt = detect_format(sample, complete=size <= len(sample))
    except NotATableError as error:
        raise DataProblem(str(error)) from error
    if size > len(sample) and b"\n" not in sample and b"\r" not in sample:
        # One enormous line: pandas would buffer all of it (and a header of millions of
        # columns takes it quadratic time to name), so it is refused before parsing.
        raise DataProblem(
            f"the first line is longer than {len(sample):,} bytes: this is not a table of "
            "rows (one huge line without line breaks)"
        )
    width = _first_row_width(sample, fmt)
    _refuse_too_many_columns(width)
    outcome.format = fmt.contract_dict()
    logger.info("%s: detected %s", raw_key, fmt.describe())

    extra_columns = hive_columns(raw_key)
    stats = ConversionStats()
    duplicates = _DuplicateCounter(spec.duplicates == "drop", work_dir / "row-hashes")
    plans: list[ColumnPlan] | None = None
    sink = _ValidatedSink(work_dir / "curated.parquet", spec, outcome, duplicates)
    try:
        for parsed in iter_chunks(path, fmt, chunk_rows_for(width, settings), on_bytes):
            outcome.rows_read += len(parsed)
            names, notes = clean_column_names(list(parsed.columns))
            parsed.columns = pd.Index(names)
            parsed = strip_text(parsed)  # noqa: PLW2901 - same rows, cleaned in place
            for name, value in extra_columns.items():
                if name not in parsed.columns:
                    parsed[name] = value
            if plans is None:
                outcome.notes.extend(notes)
                plans = _plan_columns(parsed, spec)
            chunk = pd.DataFrame(
                {p.name: convert_column(parsed[p.name], p, stats, fmt.decimal) for p in plans}
            )
            if not sink.add(chunk, settings.validation_rows):
                break
        sink.finish()
    except UnreadableTableError as error:
        raise DataProblem(str(error)) from error
    finally:
        sink.close()
    failures = sink.failures
    if sink.report is not None:
        from pipeline.validate import write_validation_report

        outcome.validation_report_key = write_validation_report(
            lake, spec.name, outcome.batch_id[:16], sink.report
        )
    outcome.coerced_cells = stats.coerced
    outcome.duplicate_rows = duplicates.duplicates()
    outcome.duplicates_dropped = duplicates.dropped
    if outcome.rows_read == 0:
        raise DataProblem("the file has a header but no data rows")
    if failures:
        raise DataProblem(
            f"{len(failures)} critical expectation(s) of dataset {spec.name!r} failed",
            failures,
        )
    if outcome.rows_written < spec.min_rows:
        raise DataProblem(
            f"only {outcome.rows_written} rows; "
            f"dataset {spec.name!r} needs at least {spec.min_rows}"
        )
    if stats.coerced:
        outcome.warnings.append(
            "cells that did not fit their column's type became missing: "
            + ", ".join(f"{name} ({count})" for name, count in sorted(stats.coerced.items()))
        )
    logger.info(
        "%s: %d rows read, %d written, %d exact duplicates (%s)",
        raw_key,
        outcome.rows_read,
        outcome.rows_written,
        outcome.duplicate_rows,
        "dropped" if duplicates.drop else "kept",
    )
    return sink.path
