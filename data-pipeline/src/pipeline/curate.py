"""From a local raw file to a curated Parquet file: the content half of ingestion.

A big file is cut into byte blocks at line breaks (`pipeline.blocks`) that are parsed,
cleaned, typed, hashed and checked on `ingest_threads` threads, then counted, validated
and written in file order (`pipeline.curation`). Files that cannot be cut (UTF-16, an
escape character, a multi-row header...), small files, and any file where a block does not
parse on its own are read as one stream of chunks instead; the stream reader is the one
that words parse errors for the quarantine.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import queue
import shutil
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Generic, TypeVar

import pandas as pd

from pipeline.blocks import (
    NotSplittable,
    iter_blocks,
    later_block_options,
    parse_block,
    why_not_splittable,
)
from pipeline.clean import (
    ColumnPlan,
    ConversionStats,
    clean_column_names,
    convert_column,
    infer_column_type,
    strip_text,
)
from pipeline.curation import Curation, PreparedBlock, SourceInfo, table_of
from pipeline.datasets import DatasetSpec
from pipeline.lake import Lake
from pipeline.outcome import DataProblem, IngestOutcome
from pipeline.read import (
    UnreadableTableError,
    iter_chunks,
    name_headerless,
    needs_shape_fix,
    read_options,
)
from pipeline.row_hashes import DuplicateCounter, row_hashes
from pipeline.settings import PipelineSettings
from pipeline.sniff import CsvFormat, NotATableError, detect_format

Item = TypeVar("Item")

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


class _Typer:
    """Turns parsed chunks into typed frames: clean names, trimmed text, Hive columns, types.

    Names and types are decided once, on the first chunk (`plan`); every chunk after it is
    converted the same way, on whichever thread prepares it.
    """

    def __init__(self, spec: DatasetSpec, fmt: CsvFormat, extra_columns: dict[str, str]) -> None:
        self.spec = spec
        self.decimal = fmt.decimal
        self.extra_columns = extra_columns
        self.names: list[str] = []
        self.plans: list[ColumnPlan] = []
        self.notes: list[str] = []

    def plan(self, first: pd.DataFrame) -> None:
        """Decide names and types from the first chunk; `DataProblem` if columns are missing."""
        self.names, self.notes = clean_column_names(list(first.columns))
        self.plans = _plan_columns(self._cleaned(first), self.spec)

    def _cleaned(self, parsed: pd.DataFrame) -> pd.DataFrame:
        parsed.columns = pd.Index(self.names)
        # Every frame here comes from `read_csv` with the options of `pipeline.read`.
        parsed = strip_text(parsed, markers_parsed_as_missing=True)
        for name, value in self.extra_columns.items():
            if name not in parsed.columns:
                parsed[name] = value
        return parsed

    def typed(self, parsed: pd.DataFrame, stats: ConversionStats) -> pd.DataFrame:
        """The chunk with planned names and types; cells that do not fit are counted."""
        cleaned = self._cleaned(parsed)
        columns = {
            p.name: convert_column(cleaned[p.name], p, stats, self.decimal) for p in self.plans
        }
        # copy=False: no consolidation into one 2-D block (a copy of every column).
        return pd.DataFrame(columns, copy=False)


def _prepare(
    typer: _Typer,
    curation: Curation,
    parsed: pd.DataFrame,
    *,
    check: bool = True,
    end_byte: int | None = None,
) -> PreparedBlock:
    from pipeline.fast_validate import validate_frame_fast

    stats = ConversionStats()
    rows = len(parsed)
    frame = typer.typed(parsed, stats)
    table = table_of(frame, curation.schema)
    if curation.schema is None:
        curation.fix_schema(table)
    report = validate_frame_fast(frame, typer.spec, batch_id="") if check else None
    return PreparedBlock(frame, table, row_hashes(frame), stats, rows, report, end_byte)


def _feed(
    curation: Curation,
    first: PreparedBlock,
    items: Iterator[Item],
    work: Callable[[Item], PreparedBlock],
    threads: int,
    on_bytes: Callable[[int], None] | None,
) -> None:
    """Hand `first`, then `items` prepared on `threads` threads, to `curation` in order.

    `first` is taken once the threads are busy with the next blocks (taking it may wait
    for the raw file's hash). At most `threads + 1` blocks wait, which bounds memory.
    Stops at the first block that fails validation; re-raises a worker's exception.
    """
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="curate") as pool:
        done: Future[PreparedBlock] = Future()
        done.set_result(first)
        pending: deque[Future[PreparedBlock]] = deque([done])

        def take_oldest() -> bool:
            block = pending.popleft().result()
            if on_bytes and block.end_byte is not None:
                on_bytes(block.end_byte)
            return curation.take(block)

        try:
            for item in items:
                pending.append(pool.submit(work, item))
                if len(pending) > threads and not take_oldest():
                    return
            while pending:
                if not take_oldest():
                    return
        finally:
            for future in pending:
                future.cancel()


class _Prefetch(Generic[Item]):
    """Runs an iterator on a thread, `depth` items ahead of the consumer."""

    _END = object()

    def __init__(self, items: Iterator[Item], depth: int) -> None:
        self._items = items
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(depth, 1))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="curate-read", daemon=True)

    def __enter__(self) -> Iterator[Item]:
        self._thread.start()
        return self._consume()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        while self._thread.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()

    def _run(self) -> None:
        try:
            for item in self._items:
                if self._stop.is_set():
                    return
                self._queue.put(item)
            self._queue.put(self._END)
        except BaseException as error:  # re-raised on the consumer's thread
            self._queue.put(error)

    def _consume(self) -> Iterator[Item]:
        while (item := self._queue.get()) is not self._END:
            if isinstance(item, BaseException):
                raise item
            yield item


def _curate_in_blocks(
    path: Path,
    fmt: CsvFormat,
    typer: _Typer,
    curation: Curation,
    settings: PipelineSettings,
    on_bytes: Callable[[int], None] | None,
) -> None:
    wide = codecs.lookup(fmt.encoding).name.startswith(("utf-16", "utf-32"))
    with path.open("rb") as handle:
        blocks = iter_blocks(handle, settings.block_bytes, fmt.quotechar, check_nul=not wide)
        first_bytes = next(blocks, memoryview(b""))
        first = parse_block(first_bytes, read_options(fmt))
        if needs_shape_fix(first):
            raise NotSplittable("the header and the rows differ by one field")
        if not fmt.has_header:
            first = name_headerless(first)
        later_options = later_block_options(fmt, [str(name) for name in first.columns])
        typer.plan(first.copy(deep=False))
        prepared = _prepare(typer, curation, first, check=False, end_byte=len(first_bytes))

        def positioned() -> Iterator[tuple[memoryview, int]]:
            end = len(first_bytes)
            for data in blocks:
                end += len(data)
                yield data, end

        def work(item: tuple[memoryview, int]) -> PreparedBlock:
            parsed = parse_block(item[0], later_options, columns=len(first.columns))
            return _prepare(typer, curation, parsed, end_byte=item[1])

        # Cutting blocks reads and scans every byte: on its own thread, it stays off the
        # writer's (the main thread's) path.
        with _Prefetch(positioned(), depth=settings.ingest_threads) as ahead:
            _feed(curation, prepared, ahead, work, settings.ingest_threads, on_bytes)


def _curate_streamed(
    path: Path,
    fmt: CsvFormat,
    typer: _Typer,
    curation: Curation,
    chunk_rows: int,
    settings: PipelineSettings,
    on_bytes: Callable[[int], None] | None,
) -> None:
    chunks = iter_chunks(path, fmt, chunk_rows, on_bytes)
    first = next(chunks, None)
    if first is None:
        return
    typer.plan(first.copy(deep=False))
    _feed(
        curation,
        _prepare(typer, curation, first, check=False),
        chunks,
        lambda parsed: _prepare(typer, curation, parsed),
        settings.ingest_threads,
        None,
    )


def _why_stream(fmt: CsvFormat, size: int, settings: PipelineSettings) -> str | None:
    if settings.ingest_threads < 2:
        return "one ingest thread"
    if size <= 2 * settings.block_bytes:
        return "a small file"
    return why_not_splittable(fmt)


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
    identify: Callable[[], None] | None = None,
) -> Path:
    """Sniff, parse, clean, validate `path`; return the written Parquet file.

    Fills `outcome` (format, row counts, duplicates, coerced cells, warnings) as it goes;
    raises `DataProblem` with a plain-words reason when the file must be quarantined.
    `identify`, when given, fills `outcome.sha256` and `outcome.batch_id` (it may wait for
    a hash computed meanwhile, and may raise to stop); it is called before anything is
    written or reported.
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

    def source() -> SourceInfo:
        if identify is not None:
            identify()
        return SourceInfo(raw_key, outcome.sha256, outcome.format, outcome.batch_id)

    extra_columns = hive_columns(raw_key)

    def attempt(name: str, run: Callable[[_Typer, Curation], None]) -> tuple[_Typer, Curation]:
        folder = work_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        typer = _Typer(spec, fmt, extra_columns)
        duplicates = DuplicateCounter(spec.duplicates == "drop", folder / "row-hashes")
        curation = Curation(
            folder / "curated.parquet", spec, source, duplicates, settings.validation_rows
        )
        try:
            run(typer, curation)
            curation.finish()
        finally:
            curation.close()
        return typer, curation

    why_stream = _why_stream(fmt, size, settings)
    result: tuple[_Typer, Curation] | None = None
    if why_stream is None:
        try:
            result = attempt(
                "blocks",
                lambda typer, curation: _curate_in_blocks(
                    path, fmt, typer, curation, settings, on_bytes
                ),
            )
        except NotSplittable as error:
            why_stream = str(error)
            shutil.rmtree(work_dir / "blocks", ignore_errors=True)
    if result is None:
        logger.info("%s: read as one stream (%s)", raw_key, why_stream)
        chunk_rows = chunk_rows_for(width, settings)
        try:
            result = attempt(
                "stream",
                lambda typer, curation: _curate_streamed(
                    path, fmt, typer, curation, chunk_rows, settings, on_bytes
                ),
            )
        except UnreadableTableError as error:
            raise DataProblem(str(error)) from error
    typer, curation = result
    if identify is not None:
        identify()
    return _conclude(typer, curation, spec, outcome, lake)


def _conclude(
    typer: _Typer, curation: Curation, spec: DatasetSpec, outcome: IngestOutcome, lake: Lake
) -> Path:
    outcome.notes.extend(typer.notes)
    outcome.rows_read = curation.rows_read
    outcome.rows_written = curation.rows_written
    for warning in curation.warnings:
        if warning not in outcome.warnings:
            outcome.warnings.append(warning)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="curate-count") as pool:
        # Counting repeats reads every row hash once more: meanwhile the report is written.
        repeats = pool.submit(curation.duplicates.duplicates)
        if curation.report is not None:
            from pipeline.validate import write_validation_report

            outcome.validation_report_key = write_validation_report(
                lake, spec.name, outcome.batch_id[:16], curation.report
            )
        outcome.duplicate_rows = repeats.result()
    outcome.coerced_cells = curation.stats.coerced
    outcome.duplicates_dropped = curation.duplicates.dropped
    if outcome.rows_read == 0:
        raise DataProblem("the file has a header but no data rows")
    if curation.failures:
        raise DataProblem(
            f"{len(curation.failures)} critical expectation(s) of dataset {spec.name!r} failed",
            curation.failures,
        )
    if outcome.rows_written < spec.min_rows:
        raise DataProblem(
            f"only {outcome.rows_written} rows; "
            f"dataset {spec.name!r} needs at least {spec.min_rows}"
        )
    if curation.stats.coerced:
        outcome.warnings.append(
            "cells that did not fit their column's type became missing: "
            + ", ".join(
                f"{name} ({count})" for name, count in sorted(curation.stats.coerced.items())
            )
        )
    logger.info(
        "%s: %d rows read, %d written, %d exact duplicates (%s)",
        outcome.raw_key,
        outcome.rows_read,
        outcome.rows_written,
        outcome.duplicate_rows,
        "dropped" if curation.duplicates.drop else "kept",
    )
    return curation.path
