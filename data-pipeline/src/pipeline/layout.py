"""Where things live in the lake (same under file:// and s3://); see CONTRACTS.md."""

from __future__ import annotations

import hashlib
import posixpath
from datetime import date

from pipeline.lake.base import check_key, join_key

RAW = "raw"
ARCHIVE = "archive"
QUARANTINE = "quarantine"
CURATED = "curated"
REPORTS = "reports"
MODELS = "models"
STATE = "_state"
ERROR_SUFFIX = ".error.json"


def raw_prefix(dataset: str) -> str:
    """`raw/<dataset>/`, the drop zone of one dataset."""
    return f"{RAW}/{dataset}/"


def dataset_of_raw_key(key: str) -> str:
    """The dataset a raw key belongs to (`raw/<dataset>/...`)."""
    parts = check_key(key).split("/")
    if len(parts) < 3 or parts[0] != RAW:
        raise ValueError(f"{key!r} is not under raw/<dataset>/")
    return parts[1]


def relative_raw_path(key: str) -> str:
    """The part of a raw key below `raw/<dataset>/` (keeps Hive-style dirs)."""
    return "/".join(check_key(key).split("/")[2:])


def archive_key(raw_key: str, day: date) -> str:
    """`archive/<dataset>/<yyyy-mm-dd>/<path below the dataset>`."""
    return join_key(
        ARCHIVE, dataset_of_raw_key(raw_key), day.isoformat(), relative_raw_path(raw_key)
    )


def quarantine_key(raw_key: str, day: date) -> str:
    """`quarantine/<dataset>/<yyyy-mm-dd>/<path below the dataset>`."""
    return join_key(
        QUARANTINE, dataset_of_raw_key(raw_key), day.isoformat(), relative_raw_path(raw_key)
    )


def error_key(quarantined_key: str) -> str:
    """The `<file>.error.json` beside a quarantined file."""
    return quarantined_key + ERROR_SUFFIX


def curated_prefix(dataset: str) -> str:
    """`curated/<dataset>/`."""
    return f"{CURATED}/{dataset}/"


def curated_key(dataset: str, content_sha256: str) -> str:
    """One curated Parquet file per batch, named by its `batch_identity` (idempotent)."""
    return join_key(CURATED, dataset, f"part-{content_sha256[:16]}.parquet")


def reports_prefix(dataset: str, kind: str) -> str:
    """`reports/<dataset>/<kind>/` (validation, training, drift)."""
    return f"{REPORTS}/{dataset}/{kind}/"


def models_prefix(dataset: str) -> str:
    """`models/<dataset>/`."""
    return f"{MODELS}/{dataset}/"


def model_version_prefix(dataset: str, version: str) -> str:
    """`models/<dataset>/<version>/`."""
    return join_key(MODELS, dataset, version) + "/"


def champion_key(dataset: str) -> str:
    """`models/<dataset>/champion.json`."""
    return join_key(MODELS, dataset, "champion.json")


def hive_segments(raw_key: str) -> list[str]:
    """The `key=value` folders of a raw key, in path order."""
    return [part for part in check_key(raw_key).split("/")[2:-1] if "=" in part]


def batch_identity(content_sha256: str, raw_key: str) -> str:
    """What makes one ingest unique: the bytes plus the Hive folders they were dropped in.

    The same bytes under `wine_type=red/` and under no folder are different batches (the
    folder is a column), so idempotency and the curated name key on both.
    """
    segments = hive_segments(raw_key)
    if not segments:
        return content_sha256
    return hashlib.sha256(f"{content_sha256}|{'/'.join(segments)}".encode()).hexdigest()


def processed_marker_key(dataset: str, content_sha256: str) -> str:
    """Record that this batch (see `batch_identity`) was fully processed: re-runs are no-ops."""
    return join_key(STATE, "processed", dataset, f"{content_sha256}.json")


def file_name(key: str) -> str:
    """The last segment of a key."""
    return posixpath.basename(key)
