"""Format detection on the labelled CSV corpus: our detector beside csv.Sniffer and CleverCSV.

Every detector gets the same input, the first 256 KiB of each file (the pipeline's sniff
sample). Baselines have no notion of decimal marks or preambles: they are scored with
the defaults ("." and 0 lines), which is what a caller of theirs would use. Encodings
for both baselines come from chardet, timed with them. A baseline that raises or runs
over the per-file time limit counts as a miss on every field.

    python data-pipeline/benchmarks/bench_sniff.py [CORPUS_DIR]
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import signal
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from pipeline.sniff.corpus import (
    FIELDS,
    CorpusScore,
    Guess,
    guess_with_detector,
    load_labels,
    score_corpus,
)

SAMPLE_BYTES = 256 * 1024
# Baselines decode the sample and look at its head, as they are documented to be used.
BASELINE_CHARS = 64 * 1024
TIME_LIMIT_SECONDS = 10
REPEATS = {"ours": 5, "csv.Sniffer + chardet": 3, "CleverCSV + chardet": 2}
DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "csv-corpus"

Detector = Callable[[bytes, bool], Guess]


class _TimeLimitError(Exception):
    pass


@contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    def _raise(_signum: int, _frame: FrameType | None) -> None:
        raise _TimeLimitError

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _label_codec(name: str | None) -> str | None:
    """chardet's name as the Python codec name the corpus labels use."""
    if not name:
        return None
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return name
    return {"iso8859-1": "latin-1", "mac-roman": "mac_roman"}.get(canonical, canonical)


def _chardet(data: bytes) -> tuple[str | None, str]:
    import chardet

    encoding = _label_codec(chardet.detect(data[:SAMPLE_BYTES]).get("encoding"))
    text = data.decode(encoding or "utf-8", errors="replace")
    return encoding, text.lstrip("\ufeff")


ours = guess_with_detector


def python_sniffer(data: bytes, _complete: bool) -> Guess:
    """The standard library's csv.Sniffer, with chardet for the encoding."""
    encoding, text = _chardet(data)
    sample = text[:BASELINE_CHARS]
    sniffer = csv.Sniffer()
    try:
        with _time_limit(TIME_LIMIT_SECONDS):
            dialect = sniffer.sniff(sample, delimiters=",;\t|: ")
            has_header = sniffer.has_header(sample)
    except (csv.Error, _TimeLimitError) as error:
        return Guess(error=type(error).__name__ + (f": {error}" if str(error) else ""))
    quote = dialect.quotechar if dialect.quotechar and dialect.quotechar in sample else None
    return Guess(
        delimiter=dialect.delimiter,
        quotechar=quote,
        escapechar=dialect.escapechar,
        has_header=has_header,
        encoding=encoding,
        decimal=".",
        skip_rows=0,
    )


def _clevercsv_header(sample: str) -> bool | None:
    """CleverCSV's header guess; its failure is a header miss, not a dialect miss."""
    import clevercsv

    try:
        return bool(clevercsv.Sniffer().has_header(sample))
    except Exception:  # any failure of the baseline counts as a miss
        return None


def clevercsv_detector(data: bytes, _complete: bool) -> Guess:
    """CleverCSV's consistency detector, with chardet for the encoding."""
    import clevercsv

    encoding, text = _chardet(data)
    sample = text[:BASELINE_CHARS]
    try:
        with _time_limit(TIME_LIMIT_SECONDS):
            dialect = clevercsv.Detector().detect(sample)
            has_header = _clevercsv_header(sample) if dialect else None
    except _TimeLimitError:
        return Guess(error=f"over {TIME_LIMIT_SECONDS} s")
    except Exception as error:  # any failure of the baseline counts as a miss
        return Guess(error=f"{type(error).__name__}: {error}")
    if dialect is None:
        return Guess(error="no dialect found")
    return Guess(
        delimiter=dialect.delimiter,
        quotechar=dialect.quotechar or None,
        escapechar=dialect.escapechar or None,
        has_header=has_header,
        encoding=encoding,
        decimal=".",
        skip_rows=0,
    )


DETECTORS: dict[str, Detector] = {
    "ours": ours,
    "csv.Sniffer + chardet": python_sniffer,
    "CleverCSV + chardet": clevercsv_detector,
}


def _time_per_file(
    detector: Detector, samples: list[tuple[bytes, bool]], repeats: int
) -> tuple[list[float], list[float]]:
    """Median wall-clock and CPU milliseconds per file over `repeats` runs.

    CPU time is reported beside wall time because shared build machines are often
    loaded: wall time then includes waiting for a core, CPU time does not.
    """
    wall_per_file = []
    cpu_per_file = []
    for data, complete in samples:
        wall = []
        cpu = []
        for _ in range(repeats):
            start = time.perf_counter()
            start_cpu = time.process_time()
            detector(data, complete)
            cpu.append((time.process_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
        wall_per_file.append(statistics.median(wall))
        cpu_per_file.append(statistics.median(cpu))
    return wall_per_file, cpu_per_file


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _markdown(results: dict[str, dict[str, Any]], files: int, load: float) -> str:
    lines = [
        f"Format detection on the labelled corpus ({files} real files; first 256 KiB each).",
        "",
        "| detector | dialect | header | encoding | decimal | skip_rows | encoding (same text) "
        "| median ms/file | p95 ms/file | median CPU ms/file | failures |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, result in results.items():
        hits = result["hits"]
        cells = [f"{hits[field]}/{files} ({100 * hits[field] / files:.1f}%)" for field in FIELDS]
        lines.append(
            f"| {name} | {' | '.join(cells)} | {result['median_ms']:.1f} "
            f"| {result['p95_ms']:.1f} | {result['median_cpu_ms']:.1f} | {result['failures']} |"
        )
    ours_median = results["ours"]["median_ms"]
    clever = results.get("CleverCSV + chardet")
    if clever and ours_median > 0:
        ratio = clever["median_ms"] / ours_median
        cpu_ratio = clever["median_cpu_ms"] / max(results["ours"]["median_cpu_ms"], 1e-9)
        lines += [
            "",
            f"Median speed-up over CleverCSV: {ratio:.1f}x wall clock, {cpu_ratio:.1f}x CPU "
            f"(1-minute load average during the run: {load:.1f}).",
        ]
    lines += [
        "",
        "Baselines do not detect decimal marks or preambles; they are scored with the",
        'defaults ("." and 0 lines). "encoding" is the label or an `encoding_alternatives`',
        'entry; "same text" accepts any codec that decodes the file to the labelled text.',
        "Misses of our detector:",
        "",
    ]
    lines += [f"- {miss}" for misses in results["ours"]["misses"].values() for miss in misses]
    return "\n".join(lines) + "\n"


def run(corpus_dir: Path = DEFAULT_CORPUS) -> dict[str, Any]:
    """Accuracy per field and time per file of every detector on the corpus.

    Returns:
        {"files": n, "detectors": {name: {"hits", "accuracy", "misses", "median_ms",
        "p95_ms", "failures"}}, "markdown": a table for docs/BENCHMARKS.md}.
    """
    corpus_dir = corpus_dir.resolve()
    labels = load_labels(corpus_dir)
    samples = []
    for label in labels:
        data = (corpus_dir / label["file"]).read_bytes()
        samples.append((data[:SAMPLE_BYTES], len(data) <= SAMPLE_BYTES))
    # Load chardet's models once, outside the timings (every detector uses chardet).
    _chardet("東京都,千代田区\n".encode("cp932"))
    results: dict[str, dict[str, Any]] = {}
    for name, detector in DETECTORS.items():
        score: CorpusScore = score_corpus(corpus_dir, detector, SAMPLE_BYTES)
        times, cpu_times = _time_per_file(detector, samples, REPEATS[name])
        failures = sum(1 for miss in score.misses["dialect"] if ": failed (" in miss)
        results[name] = {
            "hits": score.hits,
            "accuracy": {field: round(score.accuracy(field), 4) for field in FIELDS},
            "misses": score.misses,
            "decimal_comma": f"{score.decimal_comma_hits}/{score.decimal_comma_files}",
            "median_ms": statistics.median(times),
            "p95_ms": _p95(times),
            "median_cpu_ms": statistics.median(cpu_times),
            "failures": failures,
        }
    return {
        "files": len(labels),
        "load_average": os.getloadavg()[0],
        "detectors": results,
        "markdown": _markdown(results, len(labels), os.getloadavg()[0]),
    }


if __name__ == "__main__":
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    figures = run(corpus)
    print(figures["markdown"])
    summary = {
        name: {k: v for k, v in result.items() if k != "misses"}
        for name, result in figures["detectors"].items()
    }
    print(json.dumps(summary, indent=1))
