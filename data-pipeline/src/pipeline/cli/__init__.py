"""The `pipeline` command: one sub-command per module in this package."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

# Each module defines `register(subparsers)`; the sub-command sets `func(args) -> int`.
COMMAND_MODULES = ["sniff", "ingest", "train", "models", "drift"]

EPILOG = """\
examples:
  pipeline sniff data.csv --json                 what format is this file?
  pipeline ingest data.csv --dataset wine_quality  clean, validate, curate one file
  pipeline train --dataset wine_quality           train, register, promote if better
  pipeline models --dataset wine_quality          versions, champion, history

The lake is LAKE_URL (default file://<repo>/.lake); datasets are declared in
data-pipeline/datasets/<name>.yaml.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available sub-command."""
    parser = argparse.ArgumentParser(
        prog="pipeline",
        description="Turn any real-world CSV into clean, validated data and a served model.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every decision")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"pipeline.cli.{name}_command")
        except ModuleNotFoundError as error:
            if error.name != f"pipeline.cli.{name}_command":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `pipeline` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
