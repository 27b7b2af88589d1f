"""What the Airflow DAGs run: thin task bodies over the pipeline package, without Airflow.

The DAG files in `data-pipeline/dags/` only wire these functions into tasks, so the
processing is the same the CLI runs and is tested without a scheduler. Module-level
imports stay light: the dag-processor imports this module every parse loop; pandas,
scikit-learn and boto3 are imported inside the functions that need them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pipeline import layout
from pipeline.lake.base import Lake
from pipeline.settings import PipelineSettings

logger = logging.getLogger(__name__)

CURATED_ASSET_SCHEME = "lake"
# The alias the ingest DAGs emit through; it resolves to the curated_<dataset> Assets.
CURATED_ALIAS_NAME = "curated_data"
# A file still being copied into a local raw/ folder must not be ingested half-written;
# S3 uploads are atomic (an object appears whole), so the wait only applies to folders.
LOCAL_SETTLE = timedelta(seconds=10)


def curated_asset_uri(dataset: str) -> str:
    """`lake://curated/<dataset>`: the Asset standing for one dataset's curated data.

    A logical URI, not the storage location: the same DAG code runs on `file://` and
    `s3://` lakes, and the Asset must not change identity when LAKE_URL does.
    """
    return f"{CURATED_ASSET_SCHEME}://curated/{dataset}"


def curated_asset_name(dataset: str) -> str:
    """The Asset's display name in the UI (`curated_<dataset>`)."""
    return f"curated_{dataset}"


def dataset_of_asset_uri(uri: str) -> str | None:
    """The dataset a curated-data Asset URI stands for, or None for another Asset."""
    prefix = f"{CURATED_ASSET_SCHEME}://curated/"
    if not uri.startswith(prefix):
        return None
    return uri[len(prefix) :].strip("/") or None


def declared_dataset_names(datasets_dir: Path) -> list[str]:
    """Names of the `<name>.yaml` declarations in `datasets_dir`, sorted (no parsing).

    Cheap enough for DAG parse time; the declarations themselves are validated when a
    task loads them, so one broken file cannot hide every DAG.
    """
    if not datasets_dir.is_dir():
        return []
    return sorted(path.stem for path in datasets_dir.glob("*.yaml"))


def open_settings_lake(settings: PipelineSettings) -> Lake:
    """The lake named by the settings, with their storage retry budget."""
    from pipeline.lake import open_lake

    return open_lake(settings.lake_url, settings.storage_retries)


def find_settled_raw_keys(
    lake: Lake, datasets: Iterable[str], *, now: datetime | None = None
) -> list[str]:
    """Raw keys of the datasets ready to ingest, sorted.

    On a local-folder lake a file modified within `LOCAL_SETTLE` is left for the next
    run: it may still be being copied in. Hidden files (`.name`) are never picked up.
    """
    from pipeline.ingest import iter_new_raw_objects

    now = now or datetime.now(tz=UTC)
    keys: list[str] = []
    for info in iter_new_raw_objects(lake, datasets):
        if lake.local_path(info.key) is not None and now - info.modified < LOCAL_SETTLE:
            logger.info("%s changed less than %s ago; next run takes it", info.key, LOCAL_SETTLE)
            continue
        keys.append(info.key)
    return sorted(keys)


def describe_outcome(outcome: Mapping[str, Any]) -> list[str]:
    """Plain-words log lines for one ingested file: format, rows kept/dropped and why."""
    lines = [f"file {outcome['raw_key']} (sha256 {str(outcome.get('sha256', ''))[:12]})"]
    fmt = outcome.get("format")
    if fmt:
        shown = ", ".join(f"{key}={value!r}" for key, value in fmt.items())
        lines.append(f"detected format: {shown}")
    status = outcome.get("status")
    if status == "quarantined":
        lines.append(f"quarantined -> {outcome.get('destination_key')}: {outcome.get('reason')}")
        lines.extend(f"  {detail}" for detail in outcome.get("details") or [])
        return lines
    read, written = outcome.get("rows_read", 0), outcome.get("rows_written", 0)
    lines.append(f"{status}: {read} rows read, {written} rows kept, {read - written} dropped")
    if outcome.get("duplicate_rows"):
        dropped = "dropped" if outcome.get("duplicates_dropped") else "kept"
        lines.append(f"exact duplicate rows: {outcome['duplicate_rows']} ({dropped})")
    for column, cells in (outcome.get("coerced_cells") or {}).items():
        lines.append(f"column {column}: {cells} unreadable cells set to null")
    lines.extend(f"note: {note}" for note in outcome.get("notes") or [])
    lines.extend(f"warning: {warning}" for warning in outcome.get("warnings") or [])
    lines.append(
        f"raw file -> {outcome.get('destination_key')}; curated -> {outcome.get('curated_key')}"
    )
    return lines


def ingest_one(raw_key: str, settings: PipelineSettings) -> dict[str, Any]:
    """Ingest one raw object to its end state and return the JSON-able outcome.

    A key that is gone was finished by an overlapping run or an earlier try (the raw file
    is only removed after its archive/quarantine copy is verified): that is a no-op with
    status `gone`, not an error. Storage errors raise so Airflow retries the task.
    """
    from pipeline.ingest import ingest_raw_object

    lake = open_settings_lake(settings)
    if not lake.exists(raw_key):
        logger.info("%s is no longer in raw/: already processed by another run", raw_key)
        return {"raw_key": raw_key, "status": "gone", "dataset": layout.dataset_of_raw_key(raw_key)}
    outcome = ingest_raw_object(lake, raw_key, settings).to_dict()
    for line in describe_outcome(outcome):
        logger.info("%s", line)
    if outcome["status"] == "curated":
        from pipeline.datasets import load_dataset_spec
        from pipeline.drift_check import drift_outcome

        spec = load_dataset_spec(outcome["dataset"], settings.datasets_dir)
        outcome["drift"] = drift_outcome(lake, spec, outcome["curated_key"])
        if outcome["drift"] is None:
            logger.info("drift: no champion yet to compare this batch with")
        else:
            logger.info("drift: %s", outcome["drift"].get("summary") or outcome["drift"])
    return outcome


def curated_updates(outcomes: Iterable[Mapping[str, Any] | None]) -> dict[str, dict[str, Any]]:
    """Per dataset with new curated rows: the files and row count to put on its Asset event.

    Quarantined files, already-processed bytes and vanished keys add no data, so they
    must not wake the training DAG.
    """
    updates: dict[str, dict[str, Any]] = {}
    for outcome in outcomes:
        if not outcome or outcome.get("status") != "curated":
            continue
        entry = updates.setdefault(outcome["dataset"], {"files": [], "curated_keys": [], "rows": 0})
        entry["files"].append(outcome["raw_key"])
        entry["curated_keys"].append(outcome.get("curated_key"))
        entry["rows"] += int(outcome.get("rows_written", 0))
        drift = outcome.get("drift")
        if drift and drift.get("drifted"):
            entry.setdefault("drifted_features", [])
            for feature in drift.get("drifted_features") or []:
                if feature not in entry["drifted_features"]:
                    entry["drifted_features"].append(feature)
            entry.setdefault("drift_reports", []).append(drift.get("report"))
    return updates


def raw_keys_from_trigger_payloads(
    payloads: Iterable[Mapping[str, Any]], settings: PipelineSettings
) -> list[str]:
    """Lake keys to ingest from SQS trigger payloads carrying S3 `ObjectCreated` events.

    Each payload is what Airflow's SQS trigger yields (`{"message_batch": [...]}`).
    Events for other buckets, other prefixes or objects already gone are dropped; the
    same (bucket, key, etag) announced twice is ingested once, and an object whose etag
    no longer matches is left to the event of its newer version.
    """
    from urllib.parse import urlparse

    from pipeline.s3_events import lake_key_for, parse_s3_notifications

    parsed = urlparse(settings.lake_url)
    if parsed.scheme != "s3":
        raise ValueError(
            f"S3 event notifications need an s3:// lake; LAKE_URL is {settings.lake_url}"
        )
    messages = [m for payload in payloads for m in payload.get("message_batch") or []]
    events = parse_s3_notifications(messages)
    lake = open_settings_lake(settings)
    keys: list[str] = []
    for event in events:
        key = lake_key_for(event, parsed.netloc, parsed.path)
        if key is None:
            logger.info(
                "event for s3://%s/%s is outside the lake's raw/; ignored",
                event.bucket,
                event.object_key,
            )
            continue
        info = lake.head(key)
        if info is None:
            logger.info("%s already processed (no longer in raw/)", key)
            continue
        if event.etag and info.etag and info.etag.strip('"') != event.etag.strip('"'):
            logger.info(
                "%s was replaced since this event (etag %s); its own event takes it",
                key,
                event.etag,
            )
            continue
        if key not in keys:
            keys.append(key)
    logger.info("%d S3 events -> %d raw objects to ingest", len(events), len(keys))
    return keys


def choose_training_datasets(
    requested: str | None, triggering_uris: Iterable[str], declared: Iterable[str]
) -> list[str]:
    """Which datasets a training run trains.

    The `dataset` param when given (it must be declared); else the datasets whose curated
    Asset triggered the run; else (a manual run without a choice) every declared dataset.
    """
    declared = sorted(declared)
    if requested:
        if requested not in declared:
            raise ValueError(
                f"no dataset {requested!r}; declared datasets: {', '.join(declared) or 'none'}"
            )
        return [requested]
    triggered = sorted({d for uri in triggering_uris if (d := dataset_of_asset_uri(uri))})
    return [d for d in triggered if d in declared] if triggered else declared


def train_one(
    dataset: str,
    settings: PipelineSettings,
    *,
    search_budget: int | None = None,
    force_promote: bool = False,
) -> dict[str, Any]:
    """Train, evaluate and register one dataset's model; promote it when it is better."""
    from pipeline.datasets import load_dataset_spec
    from pipeline.train import train_dataset

    spec = load_dataset_spec(dataset, settings.datasets_dir)
    lake = open_settings_lake(settings)
    result = train_dataset(
        lake, spec, settings, search_budget=search_budget, force_promote=force_promote
    )
    summary: dict[str, Any] = result.to_dict()
    decision = "promoted to champion" if result.promoted else "not promoted"
    logger.info("%s: trained version %s, %s: %s", dataset, result.version, decision, result.reason)
    logger.info("%s: metrics %s", dataset, result.metrics)
    return summary
