"""`make bench`: every benchmark, printed and written to docs/BENCHMARKS.md.

Figures are always side by side with a baseline measured in the same run (the machines
are shared and noisy: compare ratios and medians, not absolute numbers). Nothing here
asserts a speed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "data" / "csv-corpus"
OUTPUT = REPO / "docs" / "BENCHMARKS.md"


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sniff() -> dict[str, Any]:
    if not (CORPUS / "labels.json").is_file():
        return {"markdown": f"Skipped: the csv-corpus is not at {CORPUS}."}
    return dict(_load(REPO / "data-pipeline/benchmarks/bench_sniff.py").run(CORPUS))


def _ingest() -> dict[str, Any]:
    module = _load(REPO / "data-pipeline/benchmarks/bench_ingest.py")
    return dict(module.run(int(os.environ.get("BENCH_INGEST_MB", "500"))))


def _training() -> dict[str, Any]:
    return dict(_load(REPO / "data-pipeline/benchmarks/bench_training.py").run())


def _api() -> dict[str, Any]:
    return dict(_load(REPO / "model-api/benchmarks/bench_api.py").run())


SECTIONS: list[tuple[str, str, Callable[[], dict[str, Any]]]] = [
    ("sniff", "Format detection (csv-corpus)", _sniff),
    ("ingest", "Ingestion throughput and memory", _ingest),
    ("training", "Model quality and training time (wine)", _training),
    ("api", "model-api latency, throughput, start-up", _api),
]


def main(selected: list[str]) -> int:
    """Run the selected sections (all by default); write docs/BENCHMARKS.md."""
    parts = [
        "# Benchmarks",
        "",
        (
            f"Written by `make bench` on {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC; "
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
            "Every figure sits beside a baseline measured in the same run; the machines are "
            "shared and noisy, so read ratios and medians. Tests never assert timings."
        ),
        "",
    ]
    failed = 0
    raw: dict[str, Any] = {}
    for name, title, bench in SECTIONS:
        if selected and name not in selected:
            continue
        print(f"== {title}", flush=True)
        started = time.perf_counter()
        try:
            figures = bench()
        except Exception:  # noqa: BLE001 - one failed benchmark must not hide the others
            failed += 1
            figures = {
                "markdown": "Failed:\n\n```\n" + traceback.format_exc()[-2000:] + "```"
            }
        table = figures.pop("markdown", "")
        print(table, flush=True)
        raw[name] = figures
        parts += [
            f"## {title}",
            "",
            table,
            "",
            # Sections can be re-run one at a time, so each carries its own date.
            f"_({time.perf_counter() - started:.0f} s; run {datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC)_",
            "",
        ]
    parts += [
        "## Raw figures",
        "",
        "```json",
        json.dumps(raw, indent=2, default=str),
        "```",
        "",
    ]
    if not selected:
        OUTPUT.write_text("\n".join(parts), encoding="utf-8")
        print(f"wrote {OUTPUT}")
    elif OUTPUT.is_file():
        _replace_sections(parts, raw)
    return 1 if failed else 0


def _replace_sections(parts: list[str], raw: dict[str, Any]) -> None:
    """Swap the re-run sections and their raw figures into the existing BENCHMARKS.md."""
    text = OUTPUT.read_text(encoding="utf-8")
    new_text = "\n".join(parts)
    for _, title, _ in SECTIONS:
        heading = f"## {title}\n"
        if heading in new_text and heading in text:
            fresh = new_text.split(heading, 1)[1].split("\n## ", 1)[0]
            head, rest = text.split(heading, 1)
            tail = rest.split("\n## ", 1)[1] if "\n## " in rest else ""
            text = head + heading + fresh + ("\n## " + tail if tail else "")
    start = text.find("```json", text.find("## Raw figures"))
    end = text.find("```", start + len("```json"))
    if start != -1 and end != -1:
        figures = json.loads(text[start + len("```json") : end])
        figures.update(raw)
        block = "```json\n" + json.dumps(figures, indent=2, default=str) + "\n"
        text = text[:start] + block + text[end:]
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"updated sections of {OUTPUT}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
