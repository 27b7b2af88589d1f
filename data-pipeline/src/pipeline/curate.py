"""From a local raw file to a curated Parquet file: the content half of ingestion."""

from __future__ import annotations

import json
import logging
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


class _DuplicateCounter:
    """Counts (and optionally filters) exact duplicate rows across chunks."""

    def __init__(self, drop: bool) -> None:
        self.drop = drop
        self.seen: set[int] = set()
        self.hashes: list[np.ndarray] = []
        self.dropped = 0

    def process(self, chunk: pd.DataFrame) -> pd.DataFrame:
        hashes = pd.util.hash_pandas_object(chunk, index=False).to_numpy()
        if not self.drop:
            # Counting only: 8 bytes a row, counted once at the end.
            self.hashes.append(hashes)
            return chunk
        keep = ~pd.Series(hashes).duplicated().to_numpy()
        keep &= np.fromiter((h not in self.seen for h in hashes.tolist()), bool, len(hashes))
        self.seen.update(hashes.tolist())
        self.dropped += int((~keep).sum())
        return chunk[keep]

    def duplicates(self) -> int:
        if self.drop:
            return self.dropped
        if not self.hashes:
            return 0
        # pandas' hash table counts repeats in one pass; np.unique sorts (10x slower here).
        return int(pd.Series(np.concatenate(self.hashes)).duplicated().sum())


class _ValidatedSink:
    """Buffers cleaned chunks into blocks, validates each block, then writes it.

    The first block (the whole file for files of up to `validation_rows` rows) is
    validated by great-expectations, which also renders the Data Docs; its cost is a
    second or more per call plus a per-row Python loop in range checks, so later blocks
    of a big file go through `validate_frame_fast`, the same suite vectorised. Nothing
    reaches the Parquet file before its block passed.
    """

    def __init__(self, path: Path, spec: DatasetSpec, outcome: IngestOutcome) -> None:
        self.path = path
        self.spec = spec
        self.outcome = outcome
        self.pending: list[pd.DataFrame] = []
        self.pending_rows = 0
        self.blocks = 0
        self.writer: pq.ParquetWriter | None = None
        self.schema: pa.Schema | None = None
        self.report: ValidationReport | None = None
        self.failures: list[str] = []

    def add(self, chunk: pd.DataFrame, block_rows: int) -> bool:
        """Queue a chunk; validate and write when a block is full. False once failed."""
        if chunk.empty:
            return True
        self.pending.append(chunk)
        self.pending_rows += len(chunk)
        if self.pending_rows >= block_rows:
            return self.flush()
        return True

    def flush(self) -> bool:
        """Validate and write what is queued; False when a critical expectation failed."""
        if not self.pending:
            return True
        from pipeline.fast_validate import validate_frame_fast
        from pipeline.validate import validate_frame

        block = self.pending[0] if len(self.pending) == 1 else pd.concat(self.pending)
        self.pending, self.pending_rows = [], 0
        batch_id = self.outcome.batch_id[:16] + (f"-{self.blocks}" if self.blocks else "")
        first = self.blocks == 0
        self.blocks += 1
        if first:
            report = validate_frame(block, self.spec, batch_id=batch_id)
        else:
            report = validate_frame_fast(block, self.spec, batch_id=batch_id)
        for warning in report.warnings:
            if warning not in self.outcome.warnings:
                self.outcome.warnings.append(warning)
        if not report.success:
            if not first:  # people get the Data Docs of the failing block
                report = validate_frame(block, self.spec, batch_id=batch_id)
            self.report = report
            self.failures = list(report.critical_failures)
            return False
        self.report = self.report or report
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
            self.writer = pq.ParquetWriter(self.path, self.schema, compression="snappy")
        self.writer.write_table(table, row_group_size=256 * 1024)
        self.outcome.rows_written += table.num_rows

    def close(self) -> None:
        """Close the Parquet file (safe to call twice)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None


# Excel's limit is 16,384; pandas takes seconds per thousand repeated header names.
MAX_COLUMNS = 10_000


def _refuse_too_many_columns(sample: bytes, fmt: CsvFormat) -> None:
    text = sample.decode(fmt.encoding, errors="replace")
    lines = text.splitlines()
    first = lines[fmt.skip_rows] if len(lines) > fmt.skip_rows else ""
    columns = first.count(fmt.delimiter) + 1
    if columns > MAX_COLUMNS:
        raise DataProblem(
            f"the first row has {columns:,} columns; more than {MAX_COLUMNS:,} is refused "
            "(a table this wide is almost always a file without line breaks)"
        )


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
    _refuse_too_many_columns(sample, fmt)
    outcome.format = fmt.contract_dict()
    logger.info("%s: detected %s", raw_key, fmt.describe())

    extra_columns = hive_columns(raw_key)
    stats = ConversionStats()
    duplicates = _DuplicateCounter(drop=spec.duplicates == "drop")
    plans: list[ColumnPlan] | None = None
    sink = _ValidatedSink(work_dir / "curated.parquet", spec, outcome)
    try:
        for parsed in iter_chunks(path, fmt, settings.chunk_rows, on_bytes):
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
            if not sink.add(duplicates.process(chunk), settings.validation_rows):
                break
        else:
            sink.flush()
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
