"""Ingest one raw object: sniff, parse, clean, validate, curate; archive or quarantine it.

Every raw file ends in exactly one of `archive/` (byte-identical) or `quarantine/` (with a
`<file>.error.json` in plain words). Data problems never raise: they quarantine. Storage
problems do raise, so the caller (Airflow) retries; every step is idempotent by the raw
bytes' sha256, so a retry or a second worker converges to the same lake.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pipeline import layout
from pipeline.datasets import DatasetSpec, list_dataset_specs, load_dataset_spec
from pipeline.lake import Lake, ObjectInfo, UnsafeKeyError, check_key
from pipeline.outcome import DataProblem, IngestOutcome
from pipeline.settings import PipelineSettings

logger = logging.getLogger(__name__)


def iter_new_raw_objects(lake: Lake, datasets: Iterable[str]) -> Iterator[ObjectInfo]:
    """Raw objects waiting under `raw/<dataset>/` of each dataset (hidden files skipped).

    Keys written straight to a bucket can hold `..` segments (`raw/ds/../../models/x`):
    those are never opened, moved or deleted by the pipeline; a person has to look.
    """
    for dataset in datasets:
        for info in lake.list(layout.raw_prefix(dataset)):
            if layout.file_name(info.key).startswith("."):
                continue
            try:
                check_key(info.key)
            except UnsafeKeyError:
                logger.warning("ignoring raw object with an unsafe key %r", info.key)
                continue
            yield info


def find_new_raw_keys(lake: Lake, datasets: list[str]) -> list[str]:
    """Raw objects waiting under `raw/<dataset>/` for each declared dataset, sorted."""
    return sorted(info.key for info in iter_new_raw_objects(lake, datasets))


def declared_datasets(settings: PipelineSettings) -> list[str]:
    """Names of every dataset declared in the settings' datasets folder."""
    return [spec.name for spec in list_dataset_specs(settings.datasets_dir)]


def _today() -> date:
    return datetime.now(tz=UTC).date()


def unique_destination(lake: Lake, key: str, sha256: str) -> str:
    """`key`, or `key` with the content hash inserted when another file already has it.

    Two different files with one name on one day must not overwrite each other.
    """
    existing = lake.head(key)
    if existing is None or lake.sha256(key) == sha256:
        return key
    stem, dot, suffix = key.rpartition(".")
    if not dot or "/" in suffix:
        return f"{key}.{sha256[:12]}"
    return f"{stem}.{sha256[:12]}.{suffix}"


def _finish(lake: Lake, outcome: IngestOutcome, marker: dict[str, Any]) -> IngestOutcome:
    # Order matters for crash safety: the marker first (a re-run then only moves the raw
    # file), then the verified copy, and only then the delete.
    outcome.destination_key = unique_destination(lake, outcome.destination_key, outcome.sha256)
    lake.write_bytes(
        layout.processed_marker_key(outcome.dataset, outcome.batch_id),
        json.dumps(marker, indent=2).encode(),
    )
    lake.move_verified(outcome.raw_key, outcome.destination_key)
    return outcome


def _quarantine(
    lake: Lake, outcome: IngestOutcome, reason: str, details: list[str], day: date
) -> IngestOutcome:
    outcome.status = "quarantined"
    outcome.reason = reason
    outcome.details = details
    outcome.destination_key = unique_destination(
        lake, layout.quarantine_key(outcome.raw_key, day), outcome.sha256
    )
    error = {
        "file": outcome.raw_key,
        "quarantined_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "reason": reason,
        "details": details,
        "sha256": outcome.sha256,
        "detected_format": outcome.format,
        "rows_read": outcome.rows_read,
        "validation_report": outcome.validation_report_key,
    }
    lake.write_bytes(
        layout.error_key(outcome.destination_key), json.dumps(error, indent=2).encode()
    )
    logger.warning("quarantined %s: %s", outcome.raw_key, reason)
    return _finish(lake, outcome, {"status": "quarantined", "reason": reason, "details": details})


def ingest_raw_object(
    lake: Lake,
    raw_key: str,
    settings: PipelineSettings,
    *,
    spec: DatasetSpec | None = None,
    on_bytes: Callable[[int], None] | None = None,
    today: date | None = None,
) -> IngestOutcome:
    """Process one object under `raw/<dataset>/` to its end state (see module docstring).

    Args:
        lake: the lake holding the object.
        raw_key: `raw/<dataset>/...`; Hive-style `key=value/` folders become columns.
        settings: chunk size, sniff sample size, datasets folder.
        spec: the dataset declaration (read from `settings.datasets_dir` when omitted).
        on_bytes: progress callback, called with the bytes parsed so far.
        today: the date used in archive/quarantine keys (defaults to today, UTC).
    """
    # Imported here: pandas, pyarrow and great-expectations are heavy, and DAG files
    # import this module at parse time.
    import pipeline.curate  # noqa: F401 - imported before the hashing thread starts
    from pipeline.gx_import import import_in_background

    day = today or _today()
    dataset = layout.dataset_of_raw_key(raw_key)
    info = lake.head(raw_key)
    if info is None:
        raise FileNotFoundError(f"{raw_key} is not in {lake.url} (already processed?)")
    # pandas and pyarrow are imported (above) before this thread starts, so the two
    # threads never import the same heavy package at once.
    import_in_background()
    outcome = IngestOutcome(
        raw_key=raw_key,
        dataset=dataset,
        sha256="",
        status="curated",
        destination_key=layout.archive_key(raw_key, day),
    )
    # A folder lake's file is hashed on a thread while its first blocks are parsed; an S3
    # object is hashed before it is downloaded (a known object is never downloaded).
    hashing = _hash(lake, raw_key, on_a_thread=lake.local_path(raw_key) is not None)

    def identify() -> None:
        if outcome.sha256:
            return
        outcome.sha256 = hashing.result()
        outcome.batch_id = layout.batch_identity(outcome.sha256, raw_key)
        marker_key = layout.processed_marker_key(dataset, outcome.batch_id)
        if lake.exists(marker_key):
            raise _SeenBefore(json.loads(lake.read_bytes(marker_key)))

    try:
        if hashing.done():
            identify()  # before any work: known bytes are only archived
        return _process(lake, outcome, settings, spec, identify, on_bytes, day)
    except _SeenBefore as seen:
        return _seen_before(lake, outcome, seen.previous, day)


class _SeenBefore(Exception):
    """These exact bytes (with these Hive folders) were processed before."""

    def __init__(self, previous: dict[str, Any]) -> None:
        super().__init__("already processed")
        self.previous = previous


def _hash(lake: Lake, key: str, *, on_a_thread: bool) -> Future[str]:
    hashing: Future[str] = Future()

    def run() -> None:
        try:
            hashing.set_result(lake.sha256(key))
        except BaseException as error:  # re-raised by whoever needs the hash
            hashing.set_exception(error)

    if on_a_thread:
        threading.Thread(target=run, name="ingest-sha256", daemon=True).start()
    else:
        run()
    return hashing


def _seen_before(
    lake: Lake, partial: IngestOutcome, previous: dict[str, Any], day: date
) -> IngestOutcome:
    # A fresh outcome: a speculative start on the bytes may have filled the other one.
    outcome = IngestOutcome(
        raw_key=partial.raw_key,
        dataset=partial.dataset,
        sha256=partial.sha256,
        batch_id=partial.batch_id,
        status="curated",
        destination_key=layout.archive_key(partial.raw_key, day),
    )
    if previous.get("status") == "quarantined":
        return _quarantine(lake, outcome, previous["reason"], previous.get("details", []), day)
    outcome.status = "already_processed"
    outcome.curated_key = previous.get("curated_key")
    outcome.notes.append("these exact bytes were already curated; archived without re-processing")
    logger.info(
        "%s: same bytes already processed (sha256 %s); archiving",
        outcome.raw_key,
        outcome.sha256[:12],
    )
    return _finish(lake, outcome, previous)


def _process(
    lake: Lake,
    outcome: IngestOutcome,
    settings: PipelineSettings,
    spec: DatasetSpec | None,
    identify: Callable[[], None],
    on_bytes: Callable[[int], None] | None,
    day: date,
) -> IngestOutcome:
    from pipeline.curate import curate_file

    raw_key = outcome.raw_key
    if spec is None:
        try:
            spec = load_dataset_spec(outcome.dataset, settings.datasets_dir)
        except (LookupError, ValueError) as error:
            identify()
            return _quarantine(lake, outcome, str(error), [], day)

    # In a folder lake the work folder is inside it, so the curated file is linked in.
    with tempfile.TemporaryDirectory(prefix="ingest-", dir=lake.work_folder()) as work:
        work_dir = Path(work)
        local = lake.local_path(raw_key)
        if local is None:
            local = work_dir / "raw"
            lake.download_file(raw_key, local)
        try:
            parquet_path = curate_file(
                local,
                raw_key,
                spec,
                settings,
                outcome,
                work_dir,
                lake=lake,
                on_bytes=on_bytes,
                identify=identify,
            )
        except DataProblem as problem:
            identify()
            return _quarantine(lake, outcome, problem.reason, problem.details, day)
        outcome.curated_key = layout.curated_key(outcome.dataset, outcome.batch_id)
        lake.upload_file(outcome.curated_key, parquet_path)
    logger.info("curated %s", outcome.summary())
    return _finish(
        lake,
        outcome,
        {
            "status": "curated",
            "raw_key": raw_key,
            "curated_key": outcome.curated_key,
            "rows_written": outcome.rows_written,
            "processed_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        },
    )
