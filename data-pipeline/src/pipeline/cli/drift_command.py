"""`pipeline drift`: compare curated batches with the champion's training data, by hand."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pipeline.datasets import DatasetNotFoundError, load_dataset_spec
from pipeline.lake import Lake, open_lake
from pipeline.layout import curated_prefix
from pipeline.settings import get_settings

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
        "reports/<dataset>/drift/. Exit 0 without drift, 4 when any batch drifted.",
    )
    parser.add_argument("--dataset", required=True, help="dataset name (datasets/<name>.yaml)")
    parser.add_argument(
        "--batch",
        action="append",
        metavar="KEY",
        help="curated Parquet key to check (repeatable; default: the newest curated file)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object per batch")
    parser.set_defaults(func=run)


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
            print(
                f"error: {spec.name} has no champion with reference statistics to compare "
                f"with; train one first (pipeline train --dataset {spec.name})",
                file=sys.stderr,
            )
            return EXIT_USAGE
        drifted = drifted or result.drifted
        if args.json:
            print(json.dumps(result.to_dict(), sort_keys=True))
        else:
            print(result.summary())
            print(f"report: {result.report_key}")
    return EXIT_DRIFT if drifted else EXIT_OK
