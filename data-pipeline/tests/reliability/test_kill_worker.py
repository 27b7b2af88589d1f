"""`kill -9` of an ingest worker mid-file, then a re-run: nothing lost, nothing half-written.

The worker is the real CLI (`python -m pipeline.cli -v ingest FILE --dataset NAME`) in a
child process on a generated 21 MB wine file (400,000 rows); it is killed with SIGKILL
while it parses (after it logs the detected format, before anything is curated), so no
cleanup code of ours can run. The re-run is what the ingest DAG does next time.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from reliability_checks import (
    SOAK,
    assert_converged,
    assert_nothing_lost,
    assert_nothing_partial,
    sha,
)

from pipeline.ingest import find_new_raw_keys, ingest_raw_object
from pipeline.lake import Lake
from pipeline.settings import PipelineSettings
from testdata import RED_WINE

pytestmark = [pytest.mark.reliability]

DAY = date(2026, 11, 30)
COPIES = 250
LINES = RED_WINE.read_bytes().splitlines(keepends=True)
ROWS = (len(LINES) - 1) * COPIES
RAW_KEY = "raw/wine_quality/wine_type=red/big.csv"


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big") / "wine_type=red"
    folder.mkdir()
    path = folder / "big.csv"
    path.write_bytes(LINES[0] + b"".join(LINES[1:]) * COPIES)
    return path


def start_worker(lake: Lake, path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LAKE_URL": lake.url, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.cli",
            "-v",
            "ingest",
            str(path),
            "--dataset",
            "wine_quality",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
    )


def wait_for_line(worker: subprocess.Popen[bytes], marker: bytes, timeout: float) -> None:
    assert worker.stderr is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = worker.stderr.readline()
        if not line:
            break
        if marker in line:
            return
    raise AssertionError(f"the worker never logged {marker!r}")


def rerun(lake: Lake) -> None:
    settings = PipelineSettings(LAKE_URL=lake.url)
    for key in find_new_raw_keys(lake, ["wine_quality"]):
        ingest_raw_object(lake, key, settings, today=DAY)


@pytest.mark.s3
@pytest.mark.parametrize("backend", ["file", "s3"])
def test_kill_9_while_parsing_then_rerun(
    request: pytest.FixtureRequest, big_file: Path, backend: str
) -> None:
    lake: Lake = request.getfixturevalue(f"{backend}_lake")
    data = big_file.read_bytes()
    originals = {RAW_KEY: data}
    worker = start_worker(lake, big_file)
    try:
        wait_for_line(worker, b"pipeline.curate: " + RAW_KEY.encode() + b": detected", 60)
        time.sleep(1.5)  # well inside the ~6 s parse
        assert worker.poll() is None, "the worker finished before it could be killed"
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait()

    # killed mid-file: the raw file is whole where it was, nothing else is visible
    assert lake.read_bytes(RAW_KEY) == data
    assert list(lake.list("curated/")) == [] and list(lake.list("archive/")) == []
    assert_nothing_lost(lake, originals)
    assert_nothing_partial(lake, originals, {sha(data): ROWS})

    rerun(lake)
    assert_converged(lake, originals, curated={RAW_KEY}, expected_rows={sha(data): ROWS})


@pytest.mark.s3
@pytest.mark.parametrize("seed", [pytest.param(seed, marks=SOAK) for seed in range(8)])
def test_kill_9_at_a_random_moment_then_rerun(s3_lake: Lake, big_file: Path, seed: int) -> None:
    """Soak: SIGKILL anywhere in the worker's life (upload, parse, upload, archive, delete)."""
    data = big_file.read_bytes()
    originals = {RAW_KEY: data}
    worker = start_worker(s3_lake, big_file)
    time.sleep(random.Random(seed).uniform(1.0, 12.0))
    if worker.poll() is None:
        os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    assert_nothing_partial(s3_lake, originals, {sha(data): ROWS})
    if s3_lake.exists(RAW_KEY):
        rerun(s3_lake)
    elif not list(s3_lake.list("archive/")):
        return  # killed before its upload to raw/ completed: the lake never saw the file
    assert_converged(s3_lake, originals, curated={RAW_KEY}, expected_rows={sha(data): ROWS})
