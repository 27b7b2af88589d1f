"""Accuracy on the labelled real-world corpus, asserted against the project's goals."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.sniff import detect_format
from pipeline.sniff.corpus import CorpusScore, guess_with_detector, score_corpus

CORPUS_DIR = Path(__file__).resolve().parents[4] / ".." / "shared" / "data" / "csv-corpus"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(
        not (CORPUS_DIR / "labels.json").is_file(),
        reason=f"the labelled CSV corpus is not at {CORPUS_DIR.resolve()}",
    ),
]


ours = guess_with_detector


@pytest.fixture(scope="module")
def score() -> CorpusScore:
    result = score_corpus(CORPUS_DIR, ours)
    for name, misses in result.misses.items():
        print(f"{name}: {result.hits[name]}/{result.files}")
        for miss in misses:
            print(f"  miss: {miss}")
    return result


def test_corpus_is_complete(score: CorpusScore) -> None:
    assert score.files == 81


def test_dialect_right_on_at_least_80_of_81(score: CorpusScore) -> None:
    assert score.hits["dialect"] >= 80, score.misses["dialect"]


def test_header_right_on_at_least_95_percent(score: CorpusScore) -> None:
    assert score.accuracy("header") >= 0.95, score.misses["header"]


def test_encoding_right_on_at_least_97_5_percent(score: CorpusScore) -> None:
    assert score.accuracy("encoding") >= 0.975, score.misses["encoding"]


def test_decimal_comma_found_in_every_file_that_has_one(score: CorpusScore) -> None:
    assert score.decimal_comma_files == 5
    assert score.decimal_comma_hits == score.decimal_comma_files, score.misses["decimal"]
    assert score.accuracy("decimal") >= 0.975, score.misses["decimal"]


def test_preamble_lines_found(score: CorpusScore) -> None:
    assert score.accuracy("skip_rows") >= 0.95, score.misses["skip_rows"]


def test_no_corpus_file_is_refused(score: CorpusScore) -> None:
    failures = [m for misses in score.misses.values() for m in misses if "failed" in m]
    assert not failures


def test_multi_row_headers_counted() -> None:
    from pipeline.sniff.corpus import load_labels

    misses = []
    labels = load_labels(CORPUS_DIR)
    for label in labels:
        data = (CORPUS_DIR / label["file"]).read_bytes()
        fmt = detect_format(data[: 256 * 1024], complete=len(data) <= 256 * 1024)
        if fmt.header_rows != label["header_rows"]:
            misses.append(f"{label['file']}: {fmt.header_rows} != {label['header_rows']}")
    print("header_rows misses:", misses)
    assert len(misses) <= len(labels) * 0.05, misses
