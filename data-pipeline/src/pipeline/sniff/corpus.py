"""Score detected formats against a labelled corpus (shared/data/csv-corpus/labels.json).

Equivalences follow the corpus README: a `null` quotechar label means "no quoting", so
any quote character absent from the file parses the same; an encoding is right when it
is the label or one of its `encoding_alternatives`. `same_text` is a looser encoding
measure: right as above, or the guessed codec decodes the whole file to exactly the
labelled text (latin-1
and cp1252 agree on files without bytes 0x80-0x9F, for instance).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIELDS = ("dialect", "header", "encoding", "decimal", "skip_rows", "same_text")


@dataclass(frozen=True)
class Guess:
    """What a detector said about one file (None where it has no opinion or failed)."""

    delimiter: str | None = None
    quotechar: str | None = None
    escapechar: str | None = None
    has_header: bool | None = None
    encoding: str | None = None
    decimal: str | None = None
    skip_rows: int | None = None
    error: str | None = None


@dataclass
class CorpusScore:
    """Per-field hits over the corpus and the misses, in words."""

    files: int = 0
    hits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    misses: dict[str, list[str]] = field(default_factory=lambda: {name: [] for name in FIELDS})
    decimal_comma_files: int = 0
    decimal_comma_hits: int = 0

    def accuracy(self, name: str) -> float:
        """Share of files where `name` was right."""
        return self.hits[name] / self.files if self.files else 0.0


def guess_with_detector(data: bytes, complete: bool) -> Guess:
    """Our detector's answer for one file, as a `Guess` (an error when it refuses)."""
    from pipeline.sniff.detect import detect_format
    from pipeline.sniff.format import NotATableError

    try:
        fmt = detect_format(data, complete=complete)
    except NotATableError as error:
        return Guess(error=str(error))
    return Guess(
        delimiter=fmt.delimiter,
        quotechar=fmt.quotechar,
        escapechar=fmt.escapechar,
        has_header=fmt.has_header,
        encoding=fmt.encoding,
        decimal=fmt.decimal,
        skip_rows=fmt.skip_rows,
    )


def load_labels(corpus_dir: Path) -> list[dict[str, Any]]:
    """The corpus labels, one dict per file."""
    labels: list[dict[str, Any]] = json.loads(
        (corpus_dir / "labels.json").read_text(encoding="utf-8")
    )
    return labels


def _same_text(data: bytes, encoding: str | None, text: str) -> bool:
    if encoding is None:
        return False
    try:
        return data.decode(encoding).lstrip("\ufeff") == text.lstrip("\ufeff")
    except (UnicodeDecodeError, LookupError):
        return False


def judge(label: dict[str, Any], guess: Guess, data: bytes) -> dict[str, bool]:
    """Which fields of `guess` are right for the labelled file whose bytes are `data`."""
    text = data.decode(label["encoding"])
    if guess.error is not None:
        return dict.fromkeys(FIELDS, False)
    quote_ok = guess.quotechar == label["quotechar"] or (
        label["quotechar"] is None and (guess.quotechar is None or guess.quotechar not in text)
    )
    encodings = {label["encoding"], *(label.get("encoding_alternatives") or [])}
    encoding_ok = guess.encoding is not None and guess.encoding.lower().replace("_", "-") in {
        e.replace("_", "-") for e in encodings
    }
    return {
        "dialect": guess.delimiter == label["delimiter"]
        and guess.escapechar == label["escapechar"]
        and quote_ok,
        "header": guess.has_header == label["has_header"],
        "encoding": encoding_ok,
        "decimal": guess.decimal == label["decimal"],
        "skip_rows": guess.skip_rows == label["preamble_lines"],
        "same_text": encoding_ok or _same_text(data, guess.encoding, text),
    }


def _describe_miss(name: str, label: dict[str, Any], guess: Guess) -> str:
    if guess.error is not None:
        return f"{label['file']}: failed ({guess.error})"
    want: Any
    got: Any
    if name == "dialect":
        want = (label["delimiter"], label["quotechar"], label["escapechar"])
        got = (guess.delimiter, guess.quotechar, guess.escapechar)
    elif name == "header":
        want, got = label["has_header"], guess.has_header
    elif name in ("encoding", "same_text"):
        want, got = label["encoding"], guess.encoding
    elif name == "decimal":
        want, got = label["decimal"], guess.decimal
    else:
        want, got = label["preamble_lines"], guess.skip_rows
    return f"{label['file']}: {name} {got!r}, labelled {want!r}"


def score_corpus(
    corpus_dir: Path,
    detector: Callable[[bytes, bool], Guess],
    sample_bytes: int = 256 * 1024,
) -> CorpusScore:
    """Run `detector(sample, complete)` on every labelled file and count right fields."""
    score = CorpusScore()
    for label in load_labels(corpus_dir):
        data = (corpus_dir / label["file"]).read_bytes()
        guess = detector(data[:sample_bytes], len(data) <= sample_bytes)
        verdict = judge(label, guess, data)
        score.files += 1
        for name, right in verdict.items():
            if right:
                score.hits[name] += 1
            else:
                score.misses[name].append(_describe_miss(name, label, guess))
        if label["decimal"] == ",":
            score.decimal_comma_files += 1
            score.decimal_comma_hits += verdict["decimal"]
    return score
