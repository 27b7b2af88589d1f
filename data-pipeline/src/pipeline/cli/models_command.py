"""`pipeline models`, `pipeline promote`, `pipeline rollback`: the registry from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pipeline import registry
from pipeline.drift_report import LATEST_FILE
from pipeline.lake import Lake, open_lake
from pipeline.layout import reports_prefix
from pipeline.settings import get_settings
from pipeline.tracking import mirror_champion

EXIT_OK = 0
EXIT_USAGE = 2


def register(subparsers: Any) -> None:
    """Add the `models`, `promote` and `rollback` sub-commands."""
    models = subparsers.add_parser(
        "models",
        help="list model versions and training runs",
        description="List the "
        "dataset's model versions (champion marked) and the history of training runs.",
    )
    models.add_argument("--dataset", required=True, help="dataset name")
    models.add_argument("--json", action="store_true", help="print one JSON object")
    models.set_defaults(func=run_models)

    promote = subparsers.add_parser(
        "promote",
        help="make a version the champion",
        description="Point champion.json at VERSION (the current champion becomes previous).",
    )
    promote.add_argument("--dataset", required=True, help="dataset name")
    promote.add_argument("--version", required=True, help="version to serve")
    promote.add_argument("--json", action="store_true", help="print the new champion.json")
    promote.set_defaults(func=run_promote)

    rollback = subparsers.add_parser(
        "rollback",
        help="serve the previous champion again",
        description="Point champion.json back at the previous champion, or at --version.",
    )
    rollback.add_argument("--dataset", required=True, help="dataset name")
    rollback.add_argument("--version", default=None, help="version to return to")
    rollback.add_argument("--json", action="store_true", help="print the new champion.json")
    rollback.set_defaults(func=run_rollback)


def _lake() -> Any:
    settings = get_settings()
    return open_lake(settings.lake_url, settings.storage_retries)


def _headline(metrics: dict[str, Any]) -> str:
    holdout = metrics.get("holdout", {})
    shown = [
        f"{k} {v:.4f}"
        for k, v in holdout.items()
        if k in {"r2", "mae", "rmse", "accuracy", "f1_macro"}
    ]
    return ", ".join(shown) or "no metrics"


def latest_drift(lake: Lake, dataset: str) -> dict[str, Any] | None:
    """`reports/<dataset>/drift/latest.json` (the newest drift check), or None before any.

    An unreadable file gives `{"error": ...}`: the listing still works.
    """
    key = reports_prefix(dataset, "drift") + LATEST_FILE
    if not lake.exists(key):
        return None
    try:
        status = json.loads(lake.read_bytes(key))
    except ValueError as error:
        return {"error": f"cannot read {key}: {error}"}
    if not isinstance(status, dict):
        return {"error": f"{key} is not a JSON object"}
    return status


def drift_line(status: dict[str, Any] | None) -> str:
    """One line for people: when, which batch, and the drifted features or "no drift"."""
    if status is None:
        return "latest drift check: none yet (pipeline drift --dataset NAME)"
    if "error" in status:
        return f"latest drift check: {status['error']}"
    features = status.get("drifted_features") or []
    verdict = f"DRIFT in {', '.join(map(str, features))}" if status.get("drifted") else "no drift"
    return (
        f"latest drift check: {status.get('checked_at')}  batch {status.get('batch_id')} "
        f"vs {status.get('reference_version')}: {verdict} (report: {status.get('report')})"
    )


def run_models(args: argparse.Namespace) -> int:
    """List versions, runs and the latest drift status; returns the exit code."""
    lake = _lake()
    versions = registry.list_versions(lake, args.dataset)
    runs = registry.read_runs(lake, args.dataset)
    champion = registry.get_champion(lake, args.dataset)
    drift = latest_drift(lake, args.dataset)
    if args.json:
        print(
            json.dumps(
                {
                    "dataset": args.dataset,
                    "champion": champion,
                    "versions": versions,
                    "runs": runs,
                    "drift": drift,
                },
                sort_keys=True,
            )
        )
        return EXIT_OK
    if not versions:
        print(
            f"no model versions for dataset {args.dataset!r} yet (run: pipeline train "
            f"--dataset {args.dataset})"
        )
        print(drift_line(drift))
        return EXIT_OK
    print(f"versions of {args.dataset} (* = champion):")
    for item in versions:
        mark = "*" if item["champion"] else " "
        print(f" {mark} {item['version']}  {item['created_at']}  {_headline(item['metrics'])}")
    print(f"training runs ({len(runs)}):")
    for run in runs:
        decision = "promoted" if run.get("promoted") else "kept"
        cached = ", search cached" if run.get("search_skipped") else ""
        print(
            f"   {run.get('run_at')}  {run.get('version')}  {decision}{cached}: {run.get('reason')}"
        )
    print(drift_line(drift))
    return EXIT_OK


def _print_pointer(pointer: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(pointer, sort_keys=True))
    else:
        print(f"champion of {pointer['dataset']} is now {pointer['version']} ({pointer['reason']})")


def run_promote(args: argparse.Namespace) -> int:
    """Promote a version by hand; returns the exit code."""
    try:
        pointer = registry.promote(_lake(), args.dataset, args.version, "promoted by hand")
    except registry.VersionNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    # MLflow's champion alias follows the lake (no-op without MLFLOW_TRACKING_URI).
    mirror_champion(get_settings(), args.dataset, str(pointer["version"]))
    _print_pointer(pointer, args.json)
    return EXIT_OK


def run_rollback(args: argparse.Namespace) -> int:
    """Roll the champion back; returns the exit code."""
    try:
        pointer = registry.rollback(_lake(), args.dataset, args.version)
    except registry.VersionNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    # MLflow's champion alias follows the lake (no-op without MLFLOW_TRACKING_URI).
    mirror_champion(get_settings(), args.dataset, str(pointer["version"]))
    _print_pointer(pointer, args.json)
    return EXIT_OK
