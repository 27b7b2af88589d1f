"""`pipeline ingest FILE... --dataset NAME`: the same processing the ingest DAG runs."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

_HIVE_SEGMENT = re.compile(r"^[A-Za-z0-9_][^=/]*=[^/]*$")

EXIT_QUARANTINED = 3


def register(subparsers: Any) -> None:
    """Add the `ingest` sub-command."""
    parser = subparsers.add_parser(
        "ingest",
        help="put files in raw/NAME/ and process them (clean, validate, curate)",
        description=(
            "Copy each FILE into the lake's raw/NAME/ prefix and process it exactly as the\n"
            "Airflow ingest DAG does: detect its format, clean it, validate it against\n"
            "datasets/NAME.yaml and write curated Parquet. Each raw file ends archived\n"
            "(success) or quarantined with a reason. Exit code 0 when every file was\n"
            "curated, 3 when any was quarantined, 2 on usage errors.\n\n"
            "Hive-style folders in FILE's path (wine_type=red/a.csv) are kept and become\n"
            "columns; --partition adds more."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--dataset", required=True, help="dataset name (datasets/NAME.yaml)")
    parser.add_argument(
        "--partition",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="add a Hive-style folder, e.g. --partition wine_type=red (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per file")
    parser.set_defaults(func=run)


def raw_key_for(path: Path, dataset: str, partitions: list[str]) -> str:
    """`raw/<dataset>/<partitions>/<hive folders of path>/<file name>`."""
    hive = [part for part in path.resolve().parent.parts if _HIVE_SEGMENT.match(part)]
    segments = [
        *partitions,
        *[h for h in hive if h.split("=")[0] not in {p.split("=")[0] for p in partitions}],
    ]
    return "/".join(["raw", dataset, *segments, path.name])


def run(args: argparse.Namespace) -> int:
    """Upload and ingest each file; print one line (or JSON object) per file."""
    from tqdm import tqdm

    from pipeline.datasets import DatasetNotFoundError, load_dataset_spec
    from pipeline.ingest import ingest_raw_object, unique_destination
    from pipeline.lake import open_lake, sha256_of_file
    from pipeline.settings import get_settings

    settings = get_settings()
    for partition in args.partition:
        if not _HIVE_SEGMENT.match(partition):
            print(f"--partition {partition!r} must look like key=value", file=sys.stderr)
            return 2
    missing = [str(p) for p in args.files if not p.is_file()]
    if missing:
        print(f"no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        spec = load_dataset_spec(args.dataset, settings.datasets_dir)
    except (DatasetNotFoundError, ValueError) as error:
        print(str(error), file=sys.stderr)
        return 2

    lake = open_lake(settings.lake_url, settings.storage_retries)
    total = sum(p.stat().st_size for p in args.files)
    quarantined = 0
    with tqdm(total=total, unit="B", unit_scale=True, desc="ingest", disable=None) as bar:
        for path in args.files:
            done = 0

            def advance(position: int) -> None:
                nonlocal done
                bar.update(max(0, position - done))
                done = max(done, position)

            key = raw_key_for(path, args.dataset, args.partition)
            key = unique_destination(lake, key, sha256_of_file(path))
            lake.upload_file(key, path)
            outcome = ingest_raw_object(lake, key, settings, spec=spec, on_bytes=advance)
            bar.update(max(0, path.stat().st_size - done))
            quarantined += outcome.status == "quarantined"
            if args.json:
                bar.write(json.dumps({"file": str(path), **outcome.to_dict()}))
            else:
                bar.write(outcome.summary())
                for warning in outcome.warnings:
                    bar.write(f"  warning: {warning}")
                for detail in outcome.details:
                    bar.write(f"  - {detail}")
                if outcome.validation_report_key:
                    bar.write(f"  validation report: {lake.url}/{outcome.validation_report_key}")
    return EXIT_QUARANTINED if quarantined else 0
