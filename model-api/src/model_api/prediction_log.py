"""Sampled prediction logs: requests and answers written to the lake as Parquet, off the hot path.

`/predict` calls `PredictionLog.record`, which only draws the sample and appends to a
bounded in-memory queue (full queue: the row is dropped and counted, never waited for). A
background task started in the lifespan writes what is queued every
`prediction_log_flush_seconds` or as soon as `prediction_log_flush_rows` are waiting, one
Parquet file per (day, model version) under
`predictions/<dataset>/<yyyy-mm-dd>/<timestamp>-<worker-id>-<seq>.parquet`, and flushes
once more at shutdown. A batch the lake refuses is dropped and counted: a slow or absent
lake costs log rows, never memory or request latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import logging
import os
import random
import re
import socket
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from model_api.lake import LakeError, LakeLogWriter
from model_api.logs import request_id_var
from model_api.manifest import Manifest
from model_api.metrics import Metrics
from model_api.model_store import LoadedModel
from model_api.settings import ModelApiSettings

logger = logging.getLogger(__name__)

# A shutdown must end even when the lake is down: what is not written by then is dropped.
SHUTDOWN_FLUSH_SECONDS = 15.0
META_COLUMNS = ("timestamp", "request_id", "model_version")


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One sampled row: when, which request, which model, the features and the answer."""

    at: datetime
    request_id: str | None
    manifest: Manifest
    row: dict[str, Any]
    prediction: Any
    rating: str | None


def worker_id() -> str:
    """`<host>.<pid>`, safe in a key: file names from several workers and hosts never clash."""
    host = re.sub(r"[^A-Za-z0-9]+", "_", socket.gethostname())[:40] or "host"
    return f"{host}.{os.getpid()}"


def log_key(dataset: str, day: str, stamp: datetime, worker: str, seq: int) -> str:
    """`predictions/<dataset>/<yyyy-mm-dd>/<timestamp>-<worker-id>-<seq>.parquet`."""
    when = stamp.strftime("%Y%m%dT%H%M%S") + f"{stamp.microsecond // 1000:03d}Z"
    return f"predictions/{dataset}/{day}/{when}-{worker}-{seq:06d}.parquet"


def parquet_bytes(entries: list[LogEntry]) -> bytes:
    """One Parquet file of entries that share a manifest; feature columns typed from it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    manifest = entries[0].manifest
    columns: dict[str, Any] = {
        "timestamp": pa.array([e.at for e in entries], pa.timestamp("us", tz="UTC")),
        "request_id": pa.array([e.request_id for e in entries], pa.string()),
        "model_version": pa.array([manifest.version] * len(entries), pa.string()),
    }
    for feature in manifest.features:
        values = [e.row.get(feature.name) for e in entries]
        if feature.type == "integer":
            columns[feature.name] = pa.array(
                [None if v is None else int(v) for v in values], pa.int64()
            )
        elif feature.type == "number":
            columns[feature.name] = pa.array(values, pa.float64())
        else:
            columns[feature.name] = pa.array(values, pa.string())
    predictions = [e.prediction for e in entries]
    if manifest.task == "regression":
        columns["prediction"] = pa.array(predictions, pa.float64())
    elif all(isinstance(c, int) and not isinstance(c, bool) for c in manifest.classes or ()):
        columns["prediction"] = pa.array(predictions, pa.int64())
    else:
        columns["prediction"] = pa.array([str(p) for p in predictions], pa.string())
    if manifest.rating_bands and manifest.task == "regression":
        columns["quality_rating"] = pa.array([e.rating for e in entries], pa.string())
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer, compression="zstd")
    return buffer.getvalue()


class PredictionLog:
    """The bounded queue of sampled rows and the background task that writes them."""

    def __init__(
        self, lake: LakeLogWriter | None, settings: ModelApiSettings, metrics: Metrics
    ) -> None:
        self.lake = lake
        self.rate = settings.prediction_log_rate if lake is not None else 0.0
        self.capacity = settings.prediction_log_queue_rows
        self.flush_rows = settings.prediction_log_flush_rows
        self.flush_seconds = settings.prediction_log_flush_seconds
        self.metrics = metrics
        self.worker = worker_id()
        self.max_depth = 0  # the deepest the queue has been (never above `capacity`)
        self._queue: deque[LogEntry] = deque()
        self._random = random.Random(settings.prediction_log_seed)
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    @property
    def enabled(self) -> bool:
        """True when rows are sampled at all (rate > 0 and a lake that takes logs)."""
        return self.rate > 0

    def __len__(self) -> int:
        return len(self._queue)

    def record(
        self,
        model: LoadedModel,
        rows: list[dict[str, Any]],
        predictions: list[Any],
        ratings: list[str | None],
    ) -> None:
        """Sample the rows of one answered request into the queue; never blocks, never raises.

        Call it from the event loop (it may wake the writer).
        """
        if self.rate <= 0:
            return
        now = datetime.now(UTC)
        request_id = request_id_var.get()
        dropped = 0
        for row, prediction, rating in zip(rows, predictions, ratings, strict=True):
            if self.rate < 1.0 and self._random.random() >= self.rate:
                continue
            if len(self._queue) >= self.capacity:
                dropped += 1
                continue
            self._queue.append(LogEntry(now, request_id, model.manifest, row, prediction, rating))
        if dropped:
            self.metrics.log_dropped.inc(dropped)
        depth = len(self._queue)
        self.max_depth = max(self.max_depth, depth)
        self.metrics.log_queue_rows.set(depth)
        if depth >= self.flush_rows:
            self._wake.set()

    def start(self) -> None:
        """Start the background writer (in the lifespan)."""
        if self.enabled and self._task is None:
            self._task = asyncio.create_task(self._run(), name="prediction-log-writer")

    async def stop(self) -> None:
        """Stop the writer and flush what is queued, giving up after SHUTDOWN_FLUSH_SECONDS."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if not self._queue:
            return
        try:
            await asyncio.wait_for(self.flush(), timeout=SHUTDOWN_FLUSH_SECONDS)
        except TimeoutError:
            lost = len(self._queue)
            self._queue.clear()
            self.metrics.log_dropped.inc(lost)
            logger.warning("prediction log: lake too slow at shutdown, %s rows dropped", lost)

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.flush_seconds)
            self._wake.clear()
            try:
                await self.flush()
            except Exception:  # a bug must not end logging for the life of the process
                logger.exception("prediction log: unexpected error while flushing")

    async def flush(self) -> int:
        """Write the rows queued now (not those arriving meanwhile); returns rows written."""
        async with self._flush_lock:
            pending = len(self._queue)
            written = 0
            while pending > 0:
                size = min(pending, self.flush_rows)
                batch = [self._queue.popleft() for _ in range(size)]
                pending -= size
                self.metrics.log_queue_rows.set(len(self._queue))
                written += await asyncio.to_thread(self._write, batch)
            return written

    def _write(self, batch: list[LogEntry]) -> int:
        """Write one file per (day, model version); a refused file's rows are dropped."""
        assert self.lake is not None  # enabled only with a lake
        groups: dict[tuple[str, str], list[LogEntry]] = {}
        for entry in batch:
            groups.setdefault((entry.at.date().isoformat(), entry.manifest.version), []).append(
                entry
            )
        written = 0
        for (day, _), entries in groups.items():
            key = log_key(
                entries[0].manifest.dataset, day, datetime.now(UTC), self.worker, next(self._seq)
            )
            try:
                self.lake.write_log(key, parquet_bytes(entries))
            except (LakeError, ValueError, TypeError) as error:  # pyarrow errors are these too
                self.metrics.log_dropped.inc(len(entries))
                logger.warning(
                    "prediction log: %s rows dropped, cannot write %s: %s", len(entries), key, error
                )
                continue
            written += len(entries)
            self.metrics.log_written.inc(len(entries))
        logger.debug("prediction log: %s of %s rows written", written, len(batch))
        return written
