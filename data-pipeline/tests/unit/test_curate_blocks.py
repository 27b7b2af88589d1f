"""curate.py: a file cut into blocks parsed on threads curates exactly like one stream.

Every test ingests the same bytes twice: with one thread (the stream reader) and with
two threads and tiny blocks (dozens of blocks), and requires the same outcome.
"""

from __future__ import annotations

import io
import logging
import random
import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipeline.ingest import ingest_raw_object
from pipeline.lake import LocalLake
from pipeline.outcome import IngestOutcome
from pipeline.settings import PipelineSettings
from testdata import RED_WINE, WHITE_WINE

pytestmark = [pytest.mark.unit]

DAY = date(2026, 12, 1)
SPEC = """\
name: messy
target: score
task: regression
duplicates: {policy}
columns:
  score: {{type: float, min: 0, max: 100}}
  count: {{type: integer, nullable: true, min: 0, max: 1000}}
  flag: {{type: boolean, nullable: true}}
  day: {{type: datetime}}
  label: {{type: category, categories: [a, b, c]}}
  note: {{type: string, nullable: true}}
"""
HEADER = "score;count;flag;day;label;note;extra_code\n"


def messy_rows(count: int, seed: int = 4) -> list[str]:
    """`;` rows with decimal commas, missing markers, padding, repeats, and quoted notes
    holding line breaks, delimiters and doubled quotes."""
    rng = random.Random(seed)
    rows: list[str] = []
    for index in range(count):
        if rows and rng.random() < 0.08:
            rows.append(rng.choice(rows))  # an exact duplicate of an earlier row
            continue
        note = rng.choice(
            ['"plain"', '"two\nlines; one ""quote"""', "", '"a;b"', "N/A", '"multi\n\nline"']
        )
        rows.append(
            f"{rng.randint(0, 9999) / 100:.2f}".replace(".", ",")
            + f";{rng.choice([str(rng.randint(0, 999)), 'NA', ' 7 '])}"
            + f";{rng.choice(['yes', 'no', '-'])}"
            + f";2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            + f";{rng.choice('abc')};{note};{index % 50}\n"
        )
    return rows


def ingest_both_ways(
    tmp_path: Path, data: bytes, *, policy: str = "keep", caplog: pytest.LogCaptureFixture
) -> dict[str, tuple[IngestOutcome, pd.DataFrame | None, list[str]]]:
    datasets = tmp_path / "datasets"
    datasets.mkdir(exist_ok=True)
    (datasets / "messy.yaml").write_text(SPEC.format(policy=policy))
    results: dict[str, tuple[IngestOutcome, pd.DataFrame | None, list[str]]] = {}
    variants: dict[str, dict[str, Any]] = {
        "stream": {"ingest_threads": 1},
        "blocks": {"ingest_threads": 2, "block_bytes": 2048},
    }
    for name, options in variants.items():
        lake = LocalLake(tmp_path / f"lake-{name}")
        settings = PipelineSettings(
            LAKE_URL=lake.url, datasets_dir=datasets, chunk_rows=1000, validation_rows=1000,
            **options,
        )  # fmt: skip
        lake.write_bytes("raw/messy/file.csv", data)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="pipeline.curate"):
            outcome = ingest_raw_object(lake, "raw/messy/file.csv", settings, today=DAY)
        streamed = [
            r.getMessage() for r in caplog.records if "read as one stream" in r.getMessage()
        ]
        frame = None
        if outcome.curated_key:
            frame = pd.read_parquet(io.BytesIO(lake.read_bytes(outcome.curated_key)))
        results[name] = (outcome, frame, streamed)
    return results


def comparable(outcome: IngestOutcome) -> dict[str, Any]:
    fields = outcome.to_dict()
    for varying in ("validation_report_key", "curated_key", "destination_key"):
        fields.pop(varying)
    return fields


@pytest.mark.parametrize("policy", ["keep", "drop"])
def test_blocks_and_stream_give_the_same_curated_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, policy: str
) -> None:
    data = (HEADER + "".join(messy_rows(3000))).encode("utf-8")
    results = ingest_both_ways(tmp_path, data, policy=policy, caplog=caplog)
    (stream, stream_frame, _), (blocks, blocks_frame, streamed) = results.values()
    assert not streamed, f"the block path fell back to one stream: {streamed}"
    assert stream.status == "curated", stream.reason
    assert comparable(blocks) == comparable(stream)
    assert stream.duplicate_rows > 100
    assert stream_frame is not None and blocks_frame is not None
    pd.testing.assert_frame_equal(blocks_frame, stream_frame)
    assert blocks_frame["note"].str.contains("\n").any(), "quoted line breaks survive"
    assert str(blocks_frame["score"].dtype) == "float64"


def test_a_cp1252_file_with_a_byte_order_mark_free_start_is_split(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [row.replace("plain", "café") for row in messy_rows(2000, seed=9)]
    data = (HEADER + "".join(rows)).encode("cp1252")
    results = ingest_both_ways(tmp_path, data, caplog=caplog)
    (stream, stream_frame, _), (blocks, blocks_frame, streamed) = results.values()
    assert not streamed
    assert comparable(blocks) == comparable(stream)
    pd.testing.assert_frame_equal(blocks_frame, stream_frame)


@pytest.mark.parametrize(
    ("damage", "reason_part"),
    [
        pytest.param(lambda row: row.replace(";", ";;", 1), "consistent number", id="ragged-row"),
        pytest.param(lambda row: row[:-1] + "\x00\x00\n", "NUL", id="nul-bytes"),
        pytest.param(lambda row: "150,5" + row[row.index(";") :], "score", id="out-of-range"),
    ],
)
def test_a_bad_row_deep_in_a_split_file_is_reported_like_the_stream_reader_does(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: Any, reason_part: str
) -> None:
    """Parse errors send the file back to the stream reader, whose words (and line
    numbers) end in the quarantine note; validation failures are found in the block."""
    rows = messy_rows(3000, seed=5)
    rows[2400] = damage(rows[2400])
    results = ingest_both_ways(tmp_path, (HEADER + "".join(rows)).encode(), caplog=caplog)
    (stream, _, _), (blocks, _, _) = results.values()
    assert stream.status == blocks.status == "quarantined"
    assert blocks.reason == stream.reason
    # A validation failure names the rows of its block, and blocks differ in size.
    assert [re.sub(r"of \d+ rows", "of N rows", d) for d in blocks.details] == [
        re.sub(r"of \d+ rows", "of N rows", d) for d in stream.details
    ]
    assert reason_part in (stream.reason or "") + " ".join(stream.details)


def test_a_quoted_field_longer_than_a_block_falls_back_to_one_stream(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = messy_rows(2000, seed=6)
    rows[700] = '50,0;1;yes;2024-01-01;a;"' + "long text\n" * 2000 + '";1\n'
    results = ingest_both_ways(tmp_path, (HEADER + "".join(rows)).encode(), caplog=caplog)
    (stream, stream_frame, _), (blocks, blocks_frame, streamed) = results.values()
    assert streamed and "longer than" in streamed[0]
    assert comparable(blocks) == comparable(stream)
    pd.testing.assert_frame_equal(blocks_frame, stream_frame)


@pytest.mark.parametrize(
    ("source", "rows", "duplicates"),
    [(RED_WINE, 1599, 240), (WHITE_WINE, 4898, 937)],
    ids=["red", "white"],
)
def test_the_wine_files_split_into_blocks_keep_their_exact_counts(
    tmp_path: Path, source: Path, rows: int, duplicates: int
) -> None:
    frames = []
    for threads in (1, 2):
        lake = LocalLake(tmp_path / f"lake-{threads}")
        settings = PipelineSettings(LAKE_URL=lake.url, ingest_threads=threads, block_bytes=4096)
        key = f"raw/wine_quality/wine_type=red/{source.name}"
        lake.write_bytes(key, source.read_bytes())
        outcome = ingest_raw_object(lake, key, settings, today=DAY)
        assert outcome.status == "curated", outcome.reason
        assert (outcome.rows_written, outcome.duplicate_rows) == (rows, duplicates)
        frames.append(pd.read_parquet(io.BytesIO(lake.read_bytes(outcome.curated_key or ""))))
    pd.testing.assert_frame_equal(frames[0], frames[1])


def test_known_bytes_started_while_hashing_end_as_a_clean_no_op(tmp_path: Path) -> None:
    """A folder lake's file is hashed while its first blocks are parsed; when the hash
    says these bytes were processed before, that start is thrown away without a trace."""
    datasets = tmp_path / "datasets"
    datasets.mkdir()
    (datasets / "messy.yaml").write_text(SPEC.format(policy="keep"))
    lake = LocalLake(tmp_path / "lake")
    settings = PipelineSettings(
        LAKE_URL=lake.url, datasets_dir=datasets, ingest_threads=2, block_bytes=2048
    )
    good = (HEADER + "".join(messy_rows(3000))).encode()
    bad_rows = messy_rows(3000)
    bad_rows[2500] = "150,5" + bad_rows[2500][bad_rows[2500].index(";") :]
    bad = (HEADER + "".join(bad_rows)).encode()
    first_good = ingest_raw_object(lake, lake.write_bytes("raw/messy/a.csv", good).key, settings)
    first_bad = ingest_raw_object(lake, lake.write_bytes("raw/messy/b.csv", bad).key, settings)
    assert (first_good.status, first_bad.status) == ("curated", "quarantined")
    objects_before = {info.key for info in lake.list("")}

    again_good = ingest_raw_object(lake, lake.write_bytes("raw/messy/c.csv", good).key, settings)
    again_bad = ingest_raw_object(lake, lake.write_bytes("raw/messy/d.csv", bad).key, settings)

    assert again_good.status == "already_processed"
    assert again_good.curated_key == first_good.curated_key
    assert (again_good.rows_read, again_good.format) == (0, None), "nothing from the start"
    assert again_bad.status == "quarantined" and again_bad.reason == first_bad.reason
    new_objects = {info.key for info in lake.list("")} - objects_before
    assert all(key.startswith(("archive/", "quarantine/")) for key in new_objects), new_objects
    assert not [p for p in (tmp_path / "lake").rglob("*") if p.is_file() and ".tmp-" in str(p)]
