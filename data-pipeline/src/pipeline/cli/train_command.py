"""`pipeline train`: train on curated data, register a version, promote when it is better."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pipeline.datasets import DatasetNotFoundError, load_dataset_spec
from pipeline.features import NoTrainingDataError
from pipeline.lake import open_lake
from pipeline.settings import get_settings

EXIT_OK = 0
EXIT_USAGE = 2


def register(subparsers: Any) -> None:
    """Add the `train` sub-command."""
    parser = subparsers.add_parser(
        "train",
        help="train, register and maybe promote a model",
        description="Train on every curated file of the dataset, register a new version in "
        "the lake and make it the champion when it beats the current one on the new holdout.",
    )
    parser.add_argument("--dataset", required=True, help="dataset name (datasets/<name>.yaml)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--search-budget",
        type=int,
        default=None,
        metavar="N",
        help="hyper-parameter candidates to try (default PIPELINE_SEARCH_BUDGET, 12)",
    )
    parser.add_argument("--force", action="store_true", help="promote even if not better")
    parser.set_defaults(func=run)


def _print_metrics(result: dict[str, Any]) -> None:
    metrics = result["metrics"]
    print(f"dataset  {result['dataset']}")
    print(f"version  {result['version']}")
    print(f"{'promoted' if result['promoted'] else 'kept'}  {result['reason']}")
    print(f"headline ({metrics['protocol']}):")
    for name, value in metrics["holdout"].items():
        print(f"  {name:<16}{value:.4f}" if isinstance(value, float) else f"  {name:<16}{value}")
    leaky = metrics.get("with_duplicates") or {}
    primary = "r2" if "r2" in leaky else "f1_macro"
    if primary in leaky:
        print(f"with duplicates (leaky, for comparison): {primary} {leaky[primary]:.4f}")
    search = "skipped (cached parameters)" if result["search_skipped"] else "ran"
    print(f"search   {search}: {result['params']}")
    print(f"manifest {result['manifest_key']}")


def run(args: argparse.Namespace) -> int:
    """Run the `train` sub-command; returns the exit code."""
    from pipeline.train import train_dataset

    if args.search_budget is not None and args.search_budget < 1:
        print("error: --search-budget must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    settings = get_settings()
    try:
        spec = load_dataset_spec(args.dataset, settings.datasets_dir)
    except (DatasetNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    lake = open_lake(settings.lake_url, settings.storage_retries)
    try:
        result = train_dataset(
            lake, spec, settings, search_budget=args.search_budget, force_promote=args.force
        )
    except NoTrainingDataError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(result.to_dict(), sort_keys=True))
    else:
        _print_metrics(result.to_dict())
    return EXIT_OK
