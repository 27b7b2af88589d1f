"""Ingestion throughput and peak memory on a generated CSV, beside a plain pandas baseline.

Each variant runs in a fresh subprocess so its peak RSS is its own. The baseline is what
the replaced system did: `pandas.read_csv` of the whole file, then `to_parquet`; its
imports happen before its clock starts. Ours is measured twice:

- steady state: the process has already ingested one small file of the dataset (its
  imports are done and its great-expectations suite is built), as an ingest task that
  processes several files is after the first; this is the throughput figure.
- cold process: the clock also covers importing great-expectations (seconds, once per
  process) and building the suite.

Each variant starts after `os.sync()`, so no run pays for writing back the pages an
earlier run left dirty. The machines are shared: besides the ratio of medians, the median
of the per-repetition ratios (each baseline run beside the run of ours that follows it)
is reported, which a slow drift in the machine's load moves less.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROWS_PER_MB = 12_800  # about 78 bytes a row for the table generated below

DATASET_YAML = """\
name: bench
target: quality
task: regression
columns:
{columns}
  quality: {{type: integer, min: 0, max: 10}}
  wine_type: {{type: category, categories: [red, white]}}
"""
FEATURES = [f"feature_{i}" for i in range(10)]


def generate_csv(path: Path, megabytes: int) -> None:
    """A wine-like `;`-separated CSV of about `megabytes` MB, written in blocks."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(7)
    rows = megabytes * ROWS_PER_MB
    block = 250_000
    options = pacsv.WriteOptions(delimiter=";", include_header=True)
    with pacsv.CSVWriter(
        str(path),
        pa.schema(
            [(name, pa.float64()) for name in FEATURES]
            + [("quality", pa.int64()), ("wine_type", pa.string())]
        ),
        write_options=options,
    ) as writer:
        for start in range(0, rows, block):
            n = min(block, rows - start)
            columns = {name: np.round(rng.normal(5, 2, n).clip(0, 99), 4) for name in FEATURES}
            columns["quality"] = rng.integers(3, 9, n)
            columns["wine_type"] = np.where(rng.random(n) < 0.25, "red", "white")
            writer.write_table(pa.table(columns))


BASELINE = """
import json, resource, sys, time
import pandas as pd
start = time.perf_counter()
frame = pd.read_csv(sys.argv[1], sep=";")
frame.to_parquet(sys.argv[2])
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "rows": len(frame),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

OURS = """
import json, resource, shutil, sys, tempfile, time
from pathlib import Path
from pipeline.ingest import ingest_raw_object
from pipeline.lake import LocalLake
from pipeline.settings import PipelineSettings
lake_dir, datasets_dir, source = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
lake_dir.mkdir(exist_ok=True)
lake_root = Path(tempfile.mkdtemp(dir=lake_dir))  # a fresh lake: nothing already processed
lake = LocalLake(lake_root)
settings = PipelineSettings(LAKE_URL=lake.url, datasets_dir=datasets_dir)
if sys.argv[4] == "steady":
    with source.open("rb") as handle:
        head = b"".join(handle.readline() for _ in range(2001))
    lake.write_bytes("raw/bench/warm-up.csv", head)
    warm = ingest_raw_object(lake, "raw/bench/warm-up.csv", settings)
    assert warm.status == "curated", warm.reason
key = "raw/bench/" + source.name
lake_path = lake_root / key
lake_path.parent.mkdir(parents=True, exist_ok=True)
source.replace(lake_path)  # dropping the file into raw/ is not part of the measured work
start = time.perf_counter()
outcome = ingest_raw_object(lake, key, settings)
elapsed = time.perf_counter() - start
lake.move_verified(outcome.destination_key, key)  # put it back for the next repetition
lake_path.replace(source)
shutil.rmtree(lake_root)
print(json.dumps({"seconds": elapsed, "rows": outcome.rows_written, "status": outcome.status,
                  "reason": outcome.reason,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(code: str, *args: str) -> dict[str, Any]:
    os.sync()
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark step failed:\n{result.stderr[-3000:]}")
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def run(megabytes: int = 500, repetitions: int = 5) -> dict[str, Any]:
    """Measure both variants `repetitions` times on one generated file; medians."""
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as work:
        work_dir = Path(work)
        source = work_dir / "generated.csv"
        started = time.perf_counter()
        generate_csv(source, megabytes)
        size_mb = source.stat().st_size / 1e6
        generated_in = time.perf_counter() - started
        datasets = work_dir / "datasets"
        datasets.mkdir()
        (datasets / "bench.yaml").write_text(
            DATASET_YAML.format(
                columns="\n".join(f"  {n}: {{type: float, min: 0, max: 100}}" for n in FEATURES)
            )
        )
        baseline, ours, cold = [], [], []
        lake = str(work_dir / "lakes")
        for _ in range(repetitions):
            baseline.append(_run(BASELINE, str(source), str(work_dir / "baseline.parquet")))
            ours.append(_run(OURS, lake, str(datasets), str(source), "steady"))
            cold.append(_run(OURS, lake, str(datasets), str(source), "cold"))
    for runs in (ours, cold):
        if any(r["status"] != "curated" for r in runs):
            raise RuntimeError(f"the benchmark file was not curated: {runs[0]['reason']}")

    def summary(runs: list[dict[str, Any]]) -> dict[str, float]:
        seconds = statistics.median(r["seconds"] for r in runs)
        return {
            "seconds": round(seconds, 2),
            "mb_per_s": round(size_mb / seconds, 1),
            "peak_mb": round(max(r["peak_mb"] for r in runs)),
            "rows": runs[0]["rows"],
        }

    figures = {
        "file_mb": round(size_mb, 1),
        "generated_seconds": round(generated_in, 1),
        "repetitions": repetitions,
        "baseline": summary(baseline),
        "ours": summary(ours),
        "ours_cold": summary(cold),
    }
    figures["speed_ratio"] = round(figures["ours"]["mb_per_s"] / figures["baseline"]["mb_per_s"], 2)
    figures["cold_speed_ratio"] = round(
        figures["ours_cold"]["mb_per_s"] / figures["baseline"]["mb_per_s"], 2
    )
    paired = [b["seconds"] / o["seconds"] for b, o in zip(baseline, ours, strict=True)]
    figures["paired_speed_ratios"] = [round(r, 2) for r in paired]
    figures["paired_speed_ratio_median"] = round(statistics.median(paired), 2)
    figures["markdown"] = markdown(figures)
    return figures


def markdown(figures: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    lines = [
        f"Generated `;`-separated CSV of {figures['file_mb']} MB "
        f"({figures['ours']['rows']:,} rows, 12 columns); median of "
        f"{figures['repetitions']} runs, each in a fresh process.",
        "",
        "| variant | seconds | MB/s | peak memory (MB) |",
        "|---|---|---|---|",
    ]
    for name, label in [
        ("baseline", "pandas `read_csv` + `to_parquet` (baseline)"),
        ("ours", "`pipeline ingest` (sniff, clean, validate, curate, archive), steady state"),
        ("ours_cold", "`pipeline ingest`, cold process (+ importing great-expectations)"),
    ]:
        row = figures[name]
        lines.append(f"| {label} | {row['seconds']} | {row['mb_per_s']} | {row['peak_mb']} |")
    lines.append("")
    lines.append(
        f"Throughput ratio ours / baseline: **{figures['speed_ratio']}x** in steady state, "
        f"{figures['cold_speed_ratio']}x for a cold process. Per repetition (each baseline "
        f"run beside ours right after it): "
        f"{', '.join(f'{r}x' for r in figures['paired_speed_ratios'])}; "
        f"median {figures['paired_speed_ratio_median']}x."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    size = int(os.environ.get("BENCH_INGEST_MB", "500"))
    result = run(size, int(os.environ.get("BENCH_REPETITIONS", "5")))
    print(result.pop("markdown"))
    print(json.dumps(result, indent=2))
