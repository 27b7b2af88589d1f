"""Hostile and broken files: each ends curated or quarantined as intended, with a plain reason.

The corpus is generated (reliability_corpus.py). A file never stops the run: the batch
test drops every case and one good wine file together and runs the ingest DAG's steps.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import boto3
import pandas as pd
import pytest
from reliability_checks import assert_converged, sha
from reliability_corpus import CASES, FORMULAS, HEADER, ROWS, Case, wine

from pipeline import layout
from pipeline.ingest import find_new_raw_keys, ingest_raw_object
from pipeline.lake import Lake, LocalLake, S3Lake, UnsafeKeyError
from pipeline.settings import PipelineSettings
from testdata import RED_WINE

pytestmark = [pytest.mark.reliability]

DAY = date(2026, 11, 30)
PARTITION = "raw/wine_quality/wine_type=red"


def settings_for(lake: Lake) -> PipelineSettings:
    return PipelineSettings(LAKE_URL=lake.url, chunk_rows=1000)


def read_parquet(lake: Lake, key: str) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(lake.read_bytes(key)))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_file_ends_as_intended(file_lake: LocalLake, case: Case) -> None:
    data = case.make()
    key = f"{PARTITION}/{case.file_name}"
    file_lake.write_bytes(key, data)
    outcome = ingest_raw_object(file_lake, key, settings_for(file_lake), today=DAY)

    # the raw bytes are kept, byte-identical, in the one place they belong
    assert not file_lake.exists(key)
    assert file_lake.read_bytes(outcome.destination_key) == data
    if not case.curated:
        assert outcome.status == "quarantined", outcome.summary()
        assert case.reason.lower() in (outcome.reason or "").lower(), outcome.reason
        assert outcome.destination_key.startswith("quarantine/wine_quality/2026-11-30/")
        error = json.loads(file_lake.read_bytes(layout.error_key(outcome.destination_key)))
        assert error["reason"] == outcome.reason and error["sha256"] == sha(data)
        assert "Traceback" not in outcome.reason and not list(file_lake.list("curated/"))
        return
    assert outcome.status == "curated", outcome.summary()
    assert outcome.destination_key.startswith("archive/wine_quality/2026-11-30/")
    frame = read_parquet(file_lake, outcome.curated_key or "")
    assert len(frame) == outcome.rows_written == 200
    assert frame["quality"].notna().all() and frame["ph"].dtype == "float64"
    if case.name == "formula-injection":
        # Kept as inert text: Parquet has no formulas; the exact strings survive.
        expected = [FORMULAS[i % len(FORMULAS)] for i in range(200)]
        assert frame["note"].tolist() == expected
    if case.name == "colliding-column-names":
        assert {"alcohol", "alcohol_2"} <= set(frame.columns)
        assert frame["alcohol"].equals(frame["alcohol_2"].rename("alcohol"))
        assert any("collides" in note for note in outcome.notes)
    if case.name == "spaces-and-unicode-name":
        assert outcome.destination_key.endswith("/wine_type=red/vinho tinto ñ 🍷 (1).csv")


@pytest.mark.s3
def test_batch_of_every_hostile_file_and_one_good_one(s3_lake: S3Lake) -> None:
    """All cases at once on S3, through the DAG's listing: the run goes on, the good file wins."""
    cases = [c for c in CASES if c.name != "70mb-line-mid-file"]  # kept off moto's memory
    originals = {f"{PARTITION}/{c.file_name}": c.make() for c in cases}
    good_key = f"raw/wine_quality/wine_type=red/{RED_WINE.name}"
    originals[good_key] = RED_WINE.read_bytes()
    for key, data in originals.items():
        s3_lake.write_bytes(key, data)

    settings = settings_for(s3_lake)
    outcomes = {}
    for key in find_new_raw_keys(s3_lake, ["wine_quality"]):
        outcomes[key] = ingest_raw_object(s3_lake, key, settings, today=DAY)  # never raises
    assert set(outcomes) == set(originals)
    curated = {f"{PARTITION}/{c.file_name}" for c in cases if c.curated} | {good_key}
    assert {k for k, o in outcomes.items() if o.status == "curated"} == curated
    assert outcomes[good_key].rows_written == 1599
    assert_converged(
        s3_lake, originals, curated=curated, expected_rows={sha(originals[good_key]): 1599}
    )


def wine_rows(count: int) -> bytes:
    """A valid wine file of `count` rows (the sample rows repeated)."""
    return HEADER + b"".join(ROWS[i % len(ROWS)] for i in range(count))


_SPARSE_CHILD = """
import json, resource, sys
from datetime import date
from pathlib import Path
from pipeline.ingest import ingest_raw_object
from pipeline.lake import LocalLake
from pipeline.settings import PipelineSettings
lake = LocalLake(Path(sys.argv[1]))
outcome = ingest_raw_object(lake, sys.argv[2], PipelineSettings(LAKE_URL=lake.url),
                            today=date(2026, 11, 30))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
print(json.dumps({"outcome": outcome.to_dict(), "peak_rss": peak}))
"""


@pytest.mark.parametrize("head", ["zeros-only", "valid-rows-then-zeros"])
def test_2gb_sparse_file_is_quarantined_in_bounded_memory(tmp_path: Path, head: str) -> None:
    """A 2 GiB file of zeros (`truncate -s 2G`), alone or after valid rows: quarantined, RSS < 1 GB.

    The ingest runs in a child process so its peak resident memory is measured alone.
    """
    root = tmp_path / "lake"
    key = f"{PARTITION}/sparse.csv"
    path = root / key
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        if head == "valid-rows-then-zeros":
            handle.write(wine_rows(1599 * 5))  # past the sniffer's sample: detection passes
        handle.truncate(2 * 1024**3)
    process = subprocess.run(
        [sys.executable, "-c", _SPARSE_CHILD, str(root), key],
        capture_output=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        timeout=180,  # a bound so a regression fails instead of hanging, not a speed claim
        check=False,
    )
    assert process.returncode == 0, process.stderr.decode()[-2000:]
    report = json.loads(process.stdout.decode().strip().splitlines()[-1])
    outcome, peak_rss = report["outcome"], report["peak_rss"]
    assert outcome["status"] == "quarantined"
    assert outcome["rows_written"] == 0
    expected = "holds NUL bytes from byte" if head == "valid-rows-then-zeros" else "binary data"
    assert expected in outcome["reason"], outcome["reason"]
    assert peak_rss < 1024**3, f"peak RSS {peak_rss / 2**20:.0f} MiB"
    moved = root / outcome["destination_key"]
    assert moved.stat().st_size == 2 * 1024**3 and not path.exists()


@pytest.mark.parametrize(
    "key",
    [
        "raw/../models/x",
        "raw/wine_quality/../../models/wine_quality/champion.json",
        "raw/wine_quality/./a.csv",
        "raw/wine_quality//a.csv",
        "/raw/wine_quality/a.csv",
        "raw\\wine_quality\\..\\..\\x",
        "raw/wine_quality/a\x00.csv",
    ],
)
def test_lake_refuses_path_traversal_keys(any_lake: Lake, key: str) -> None:
    any_lake.write_bytes("raw/wine_quality/ok.csv", b"a;b\n1;2\n")
    for operation in (
        lambda: any_lake.write_bytes(key, b"x"),
        lambda: any_lake.head(key),
        lambda: any_lake.read_bytes(key),
        lambda: any_lake.copy("raw/wine_quality/ok.csv", key),
        lambda: any_lake.delete(key),
        lambda: ingest_raw_object(any_lake, key, settings_for(any_lake), today=DAY),
    ):
        with pytest.raises(UnsafeKeyError):
            operation()
    assert [info.key for info in any_lake.list("")] == ["raw/wine_quality/ok.csv"]


@pytest.mark.s3
def test_traversal_keys_planted_on_the_server_do_not_escape(
    s3_server: str, s3_lake: S3Lake
) -> None:
    """Keys with `..` written straight to S3 (not through the lake) reach the ingest listing."""
    champion = layout.champion_key("wine_quality")
    s3_lake.write_bytes(champion, b'{"version": "v1"}')
    raw_client = boto3.client("s3", endpoint_url=s3_server)
    planted = [
        "raw/wine_quality/../../models/wine_quality/champion.json",
        "raw/wine_quality/wine_type=red/../../../_state/processed/x.json",
        "raw/wine_quality/./dot.csv",
    ]
    for key in planted:
        raw_client.put_object(Bucket=s3_lake.bucket, Key=f"lake/{key}", Body=wine(20))
    good = f"{PARTITION}/good.csv"
    s3_lake.write_bytes(good, wine(200))

    keys = find_new_raw_keys(s3_lake, ["wine_quality"])
    assert keys == [good]  # the unsafe ones are left alone (and logged), never opened
    outcomes = [ingest_raw_object(s3_lake, k, settings_for(s3_lake), today=DAY) for k in keys]
    assert [o.status for o in outcomes] == ["curated"]
    assert s3_lake.read_bytes(champion) == b'{"version": "v1"}'
    listed = {o["Key"] for o in raw_client.list_objects_v2(Bucket=s3_lake.bucket)["Contents"]}
    assert {f"lake/{k}" for k in planted} <= listed  # untouched, not moved, not deleted
    outside = [k for k in listed if not k.startswith("lake/")]
    assert outside == []


def test_symlink_out_of_a_folder_lake_is_refused(tmp_path: Path, file_lake: LocalLake) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_bytes(wine(20))
    link = file_lake.root / PARTITION / "link.csv"
    link.parent.mkdir(parents=True)
    link.symlink_to(secret)
    key = f"{PARTITION}/link.csv"
    with pytest.raises(ValueError, match="outside the lake"):
        ingest_raw_object(file_lake, key, settings_for(file_lake), today=DAY)
    assert secret.read_bytes() == wine(20) and link.is_symlink()
    assert not list(file_lake.list("archive/")) and not list(file_lake.list("curated/"))
