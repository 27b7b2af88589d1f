"""The drift check on model-api's prediction logs: serving data vs the champion's training data.

model-api writes a sample of its requests to
`predictions/<dataset>/<yyyy-mm-dd>/<timestamp>-<worker-id>-<seq>.parquet` (feature
columns named as in the dataset, plus timestamp, request_id, model_version, prediction).
One day of those files is one batch here: only the feature columns are read, and the
comparison and report are the curated batches' (`compare_to_reference`,
`write_drift_report`), under the batch id `predictions-<yyyy-mm-dd>`.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import random
from datetime import date

import pandas as pd

from pipeline.datasets import DatasetSpec
from pipeline.drift import DriftResult, compare_to_reference
from pipeline.drift_check import load_champion_reference
from pipeline.drift_report import write_drift_report
from pipeline.lake import Lake
from pipeline.lake.base import join_key

logger = logging.getLogger(__name__)

PREDICTIONS = "predictions"
# Enough rows for the PSI and KS tests to be sharp, few enough to fit in memory.
MAX_ROWS = 500_000


class NoPredictionLogsError(LookupError):
    """No prediction-log files for the dataset (or for the day asked for)."""


def predictions_prefix(dataset: str, day: date | None = None) -> str:
    """`predictions/<dataset>/` or `predictions/<dataset>/<yyyy-mm-dd>/`."""
    if day is None:
        return join_key(PREDICTIONS, dataset) + "/"
    return join_key(PREDICTIONS, dataset, day.isoformat()) + "/"


def prediction_log_keys(lake: Lake, dataset: str, day: date | None = None) -> dict[date, list[str]]:
    """Parquet keys of the prediction logs by day (folders not named yyyy-mm-dd are skipped)."""
    days: dict[date, list[str]] = {}
    prefix = predictions_prefix(dataset, day)
    for info in lake.list(prefix):
        parts = info.key[len(predictions_prefix(dataset)) :].split("/")
        if len(parts) != 2 or not parts[1].endswith(".parquet"):
            continue
        try:
            folder = date.fromisoformat(parts[0])
        except ValueError:
            continue
        days.setdefault(folder, []).append(info.key)
    return {d: sorted(keys) for d, keys in sorted(days.items())}


def read_prediction_features(
    lake: Lake, keys: list[str], features: list[str], max_rows: int = MAX_ROWS
) -> pd.DataFrame:
    """The feature columns of the given log files, one frame (a feature a file lacks is null).

    A busy day can hold millions of rows: files are read in a seeded random order until
    `max_rows` rows are in, so memory stays bounded and the rows still span the whole day.
    """
    import pyarrow.parquet as pq

    frames: list[pd.DataFrame] = []
    rows = 0
    for key in random.Random(0).sample(keys, len(keys)):
        if rows >= max_rows:
            logger.info(
                "prediction logs: %s of %s files read (%s rows)", len(frames), len(keys), rows
            )
            break
        source = pq.ParquetFile(io.BytesIO(lake.read_bytes(key)))
        present = [name for name in features if name in source.schema_arrow.names]
        frame = source.read(columns=present).to_pandas()
        frames.append(frame)
        rows += len(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=features)


def check_drift_for_predictions(
    lake: Lake, spec: DatasetSpec, day: date | None = None, *, write_report: bool = True
) -> DriftResult | None:
    """Compare one day of prediction logs (default: the newest day) with the champion's data.

    Returns None when there is no champion with reference statistics. Writes the report
    under `reports/<dataset>/drift/predictions-<day>/` and updates latest.json unless
    `write_report` is False.

    Raises:
        NoPredictionLogsError: no log files for the dataset, or none on `day`.
        ReferenceStatsError: the champion's reference statistics cannot be used.
    """
    by_day = prediction_log_keys(lake, spec.name, day)
    if not by_day:
        where = f" on {day.isoformat()}" if day else ""
        raise NoPredictionLogsError(
            f"no prediction logs for {spec.name}{where} under "
            f"{predictions_prefix(spec.name)} in {lake.url} (model-api writes them when "
            "MODEL_API_PREDICTION_LOG_RATE > 0)"
        )
    reference = load_champion_reference(lake, spec.name)
    if reference is None:
        return None
    chosen = day or max(by_day)
    frame = read_prediction_features(lake, by_day[chosen], spec.feature_names)
    batch_id = f"predictions-{chosen.isoformat()}"
    result = compare_to_reference(
        frame, reference.stats, spec, batch_id=batch_id, reference_version=reference.version
    )
    logger.info("%s (%s log files)", result.summary(), len(by_day[chosen]))
    if write_report:
        report_key = write_drift_report(lake, spec.name, batch_id, result)
        result = dataclasses.replace(result, report_key=report_key)
    return result
