"""The drift check of a newly curated batch against the serving champion's training data.

The chain it follows is the registry's (docs/MODEL_FORMAT.md): `champion.json` ->
`manifest.json` -> its `drift_reference` file (`reference_stats.json`) in the version folder.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import posixpath
from typing import Any

import pandas as pd

from pipeline.datasets import DatasetSpec
from pipeline.drift import DriftResult, compare_to_reference
from pipeline.drift_reference import (
    REFERENCE_FILE,
    ReferenceStatsError,
    check_reference,
    reference_stats_json,
)
from pipeline.drift_report import write_drift_report
from pipeline.lake import Lake
from pipeline.lake.base import check_key
from pipeline.layout import champion_key, file_name, model_version_prefix

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ChampionReference:
    """The serving version and the reference statistics stored with it."""

    version: str
    key: str
    stats: dict[str, Any]


def batch_id_for(curated_key: str) -> str:
    """The report folder name of a curated file: its name without `.parquet`."""
    name = file_name(curated_key)
    return name.removesuffix(".parquet") or name


def write_reference_stats(lake: Lake, spec: DatasetSpec, version: str, frame: pd.DataFrame) -> str:
    """Store the training table's reference statistics in the version folder; return the key.

    For the registry: call it with the training table, then put
    `"drift_reference": "reference_stats.json"` in the manifest.
    """
    key = model_version_prefix(spec.name, version) + REFERENCE_FILE
    lake.write_bytes(key, reference_stats_json(frame, spec))
    return key


def load_champion_reference(lake: Lake, dataset: str) -> ChampionReference | None:
    """The champion's reference statistics, or None when there is no champion yet.

    A champion whose manifest names no `drift_reference` (trained before drift checks
    existed) also gives None, with a warning saying to retrain. Unreadable or mismatched
    files raise ReferenceStatsError naming the key.
    """
    pointer_key = champion_key(dataset)
    if not lake.exists(pointer_key):
        return None
    try:
        pointer = json.loads(lake.read_bytes(pointer_key))
        manifest_key = check_key(str(pointer["manifest"]))
        manifest = json.loads(lake.read_bytes(manifest_key))
    except (KeyError, ValueError, FileNotFoundError) as error:
        raise ReferenceStatsError(
            f"cannot follow {pointer_key} to a manifest in {lake.url}: {error}"
        ) from error
    version = str(manifest.get("version") or pointer.get("version"))
    relative = manifest.get("drift_reference")
    if not relative:
        logger.warning(
            "champion %s of %s has no drift_reference in its manifest; retrain to enable drift "
            "checks",
            version,
            dataset,
        )
        return None
    key = check_key(posixpath.join(posixpath.dirname(manifest_key), str(relative)))
    try:
        stats = check_reference(json.loads(lake.read_bytes(key)))
    except (ValueError, FileNotFoundError) as error:
        raise ReferenceStatsError(f"cannot read drift reference {key}: {error}") from error
    return ChampionReference(version=version, key=key, stats=stats)


def check_drift_for_batch(
    lake: Lake, spec: DatasetSpec, curated_key: str, *, write_report: bool = True
) -> DriftResult | None:
    """Compare one curated Parquet file with the champion's training data.

    Returns None when there is no champion (or it has no reference) yet. Otherwise logs the
    one-line summary, writes the HTML + JSON report (unless `write_report` is False) and
    returns the result with `report_key` set; `result.drifted` says whether to retrain.
    """
    reference = load_champion_reference(lake, spec.name)
    if reference is None:
        logger.info("no drift check for %s: no champion with reference statistics", curated_key)
        return None
    import pyarrow.parquet as pq

    batch = pq.read_table(io.BytesIO(lake.read_bytes(curated_key))).to_pandas()
    batch_id = batch_id_for(curated_key)
    result = compare_to_reference(
        batch, reference.stats, spec, batch_id=batch_id, reference_version=reference.version
    )
    logger.info("%s", result.summary())
    if write_report:
        report_key = write_drift_report(lake, spec.name, batch_id, result)
        result = dataclasses.replace(result, report_key=report_key)
    return result


def drift_outcome(lake: Lake, spec: DatasetSpec, curated_key: str) -> dict[str, Any] | None:
    """The drift check as the ingest task records it: a JSON-able summary, or None.

    None when there is no champion to compare with. Unusable reference statistics do not
    fail ingestion (the batch is already curated): they give `{"error": ...}` and a warning.
    Storage errors propagate, so the task's retry policy applies.
    """
    try:
        result = check_drift_for_batch(lake, spec, curated_key)
    except ReferenceStatsError as error:
        logger.warning("drift check of %s skipped: %s", curated_key, error)
        return {"error": str(error)}
    if result is None:
        return None
    return {
        "drifted": result.drifted,
        "drifted_features": result.drifted_features,
        "reference_version": result.reference_version,
        "report": result.report_key,
        "summary": result.summary(),
    }
