"""`pipeline drift`: compare curated batches (or model-api's prediction logs) with the
champion's training data, by hand."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

from pipeline.datasets import DatasetNotFoundError, DatasetSpec, load_dataset_spec
from pipeline.lake import Lake, open_lake
from pipeline.layout import curated_prefix
from pipeline.settings import get_settings

if TYPE_CHECKING:
    from pipeline.drift import DriftResult

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_DRIFT = 4


def register(subparsers: Any) -> None:
    """Add the `drift` sub-command."""
    parser = subparsers.add_parser(
        "drift",
        help="check curated batches for data drift against the champion",
        description="Compare curated batches with the reference statistics stored with the "
        "champion model version; write the HTML + JSON report of each under "
        "reports/<dataset>/drift/. With --predictions, one day of model-api's prediction logs is "
        "the batch (serving data vs training data). Exit 0 without drift, 4 when any batch "
        "drifted.",
    )
    parser.add_argument("--dataset", required=True, help="dataset name (datasets/<name>.yaml)")
    parser.add_argument(
        "--batch",
        action="append",
        metavar="KEY",
        help="curated Parquet key to check (repeatable; default: the newest curated file)",
    )
    parser.add_argument(
        "--predictions",
        action="store_true",
        help="check model-api's prediction logs (predictions/<dataset>/<day>/) instead",
    )
    parser.add_argument(
        "--date",
        type=_day,
        metavar="YYYY-MM-DD",
        help="with --predictions: the day of logs to check (default: the newest day)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per batch")
    parser.set_defaults(func=run)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-11-30") from error


def _newest_curated(lake: Lake, dataset: str) -> list[str]:
    files = [info for info in lake.list(curated_prefix(dataset)) if info.key.endswith(".parquet")]
    return [max(files, key=lambda info: (info.modified, info.key)).key] if files else []


def run(args: argparse.Namespace) -> int:
    """Run the `drift` sub-command; returns the exit code."""
    from pipeline.drift_check import check_drift_for_batch
    from pipeline.drift_reference import ReferenceStatsError

    settings = get_settings()
    try:
        spec = load_dataset_spec(args.dataset, settings.datasets_dir)
    except (DatasetNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    lake = open_lake(settings.lake_url, settings.storage_retries)
    if args.predictions or args.date:
        return _run_predictions(args, lake, spec)
    keys = args.batch or _newest_curated(lake, spec.name)
    if not keys:
        print(f"error: no curated data for {spec.name} in {lake.url}", file=sys.stderr)
        return EXIT_USAGE
    drifted = False
    for key in keys:
        if not lake.exists(key):
            print(f"error: {key} is not in {lake.url}", file=sys.stderr)
            return EXIT_USAGE
        try:
            result = check_drift_for_batch(lake, spec, key)
        except ReferenceStatsError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_USAGE
        if result is None:
            return _no_champion(spec.name)
        drifted = drifted or result.drifted
        _print_result(result, args.json)
    return EXIT_DRIFT if drifted else EXIT_OK


def _print_result(result: DriftResult, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.to_dict(), sort_keys=True))
    else:
        print(result.summary())
        print(f"report: {result.report_key}")


def _no_champion(dataset: str) -> int:
    print(
        f"error: {dataset} has no champion with reference statistics to compare "
        f"with; train one first (pipeline train --dataset {dataset})",
        file=sys.stderr,
    )
    return EXIT_USAGE


def _run_predictions(args: argparse.Namespace, lake: Lake, spec: DatasetSpec) -> int:
    from pipeline.drift_predictions import NoPredictionLogsError, check_drift_for_predictions
    from pipeline.drift_reference import ReferenceStatsError

    if not args.predictions or args.batch:
        print("error: --date goes with --predictions, and --batch does not", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = check_drift_for_predictions(lake, spec, args.date)
    except (NoPredictionLogsError, ReferenceStatsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if result is None:
        return _no_champion(spec.name)
    _print_result(result, args.json)
    return EXIT_DRIFT if result.drifted else EXIT_OK
