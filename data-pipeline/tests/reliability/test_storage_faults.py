"""Ingest through a misbehaving S3 endpoint: retried, or failed cleanly and converged on re-run.

Every test drops a good wine file and a file that must be quarantined, runs the ingest
DAG's steps (list `raw/`, ingest each key as its own task) through the fault proxy, and
checks the lake with a second, direct client: during the run (a watcher thread reading
every visible object), after a failed run (nothing lost, nothing partial) and after the
re-run (every raw file in exactly one of archive/ or quarantine/, byte-identical; one
complete curated part per curated file).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from reliability_checks import (
    SOAK,
    LakeWatcher,
    assert_converged,
    assert_nothing_lost,
    assert_nothing_partial,
    sha,
)
from reliability_lakes import READ_TIMEOUT, direct_lake, faulty_lake
from reliability_proxy import ACTIONS, Action, FaultProxy, Rule

from pipeline.ingest import find_new_raw_keys, ingest_raw_object
from pipeline.lake import Lake
from pipeline.outcome import IngestOutcome
from pipeline.settings import PipelineSettings
from testdata import RED_WINE

pytestmark = [pytest.mark.reliability, pytest.mark.s3]

DAY = date(2026, 11, 30)
DATASET = "wine_quality"
GOOD_KEY = f"raw/{DATASET}/wine_type=red/red sample.csv"
BAD_KEY = f"raw/{DATASET}/wine_type=red/no-target.csv"
GOOD_ROWS = 300

# Every storage request an ingest makes, as (step, S3 operation, key pattern).
STEPS: list[tuple[str, str, str]] = [
    ("list-raw", "list", ""),
    ("head-raw", "head", r"/raw/"),
    ("get-raw", "get", r"/raw/"),
    ("head-marker", "head", r"/_state/"),
    ("put-report", "put", r"/reports/"),
    ("put-curated", "put", r"/curated/"),
    ("put-marker", "put", r"/_state/"),
    ("put-error-json", "put", r"\.error\.json$"),
    ("copy-archive", "copy", r"/archive/"),
    ("copy-quarantine", "copy", r"/quarantine/"),
    ("get-archive-verify", "get", r"/archive/"),
    ("delete-raw", "delete", r"/raw/"),
]


def good_bytes() -> bytes:
    lines = RED_WINE.read_bytes().splitlines(keepends=True)
    return b"".join(lines[: GOOD_ROWS + 1])


def bad_bytes() -> bytes:
    # A real table, but without the dataset's target: quarantined, never curated.
    rows = "".join(f"{i};{i * 0.5};{i % 7}\n" for i in range(50))
    return ("fixed acidity;pH;alcohol\n" + rows).encode()


@pytest.fixture
def proxy(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    """The fault proxy in front of the session's moto server; boto3 points at it."""
    faults = FaultProxy(s3_server, delay_seconds=READ_TIMEOUT + 0.5).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", faults.url)
    yield faults
    faults.clear()
    faults.wait_idle()
    faults.stop()


def drop_files(lake: Lake) -> dict[str, bytes]:
    originals = {GOOD_KEY: good_bytes(), BAD_KEY: bad_bytes()}
    for key, data in originals.items():
        lake.write_bytes(key, data)
    return originals


def run_ingest(
    lake: Lake, settings: PipelineSettings
) -> tuple[list[IngestOutcome], list[Exception]]:
    """The ingest DAG: list raw/, then one task per key (a failing task does not stop others)."""
    outcomes: list[IngestOutcome] = []
    errors: list[Exception] = []
    try:
        keys = find_new_raw_keys(lake, [DATASET])
    except (BotoCoreError, ClientError, OSError) as error:
        return outcomes, [error]
    for key in keys:
        try:
            outcomes.append(ingest_raw_object(lake, key, settings, today=DAY))
        except (BotoCoreError, ClientError, OSError) as error:
            errors.append(error)
    return outcomes, errors


def settings_for(bucket: str, retries: int) -> PipelineSettings:
    return PipelineSettings(
        LAKE_URL=f"s3://{bucket}/lake", chunk_rows=1000, storage_retries=retries
    )


# Default run: three actions at every step; the slower ones (adaptive backoff on SlowDown,
# answers held past the timeout) run under `make soak`. Persistent faults: every step.
DEFAULT_ACTIONS = {"500", "reset", "drop_response"}


@pytest.mark.parametrize(
    "action", [pytest.param(a, marks=[] if a in DEFAULT_ACTIONS else SOAK) for a in ACTIONS]
)
def test_transient_fault_at_every_step_is_retried(
    proxy: FaultProxy, s3_server: str, s3_bucket: str, action: Action
) -> None:
    """One fault of `action` on every storage step of one ingest run: retries absorb all."""
    direct = direct_lake(s3_server, s3_bucket)
    originals = drop_files(direct)
    rules = [Rule(op, key, action, times=1) for _, op, key in STEPS]  # type: ignore[arg-type]
    proxy.plan(*rules)
    lake = faulty_lake(s3_bucket, attempts=6)
    expected_rows = {sha(originals[GOOD_KEY]): GOOD_ROWS}
    with LakeWatcher(direct, originals, expected_rows) as watcher:
        outcomes, errors = run_ingest(lake, settings_for(s3_bucket, retries=5))
        proxy.wait_idle()
    assert errors == []
    missed = [name for (name, _, _), rule in zip(STEPS, rules, strict=True) if rule.hits != 1]
    assert missed == [], f"steps the run never reached: {missed}"
    assert {o.raw_key: o.status for o in outcomes} == {
        GOOD_KEY: "curated",
        BAD_KEY: "quarantined",
    }
    # each faulted request was sent again (backoff and retry, not silence)
    for fault in proxy.faults_applied():
        assert proxy.count(fault.operation, fault.key) >= 2, fault
    assert watcher.problems == [] and watcher.rounds > 0
    assert_converged(direct, originals, curated={GOOD_KEY}, expected_rows=expected_rows)


@pytest.mark.parametrize(("step", "operation", "key"), STEPS, ids=[step for step, _, _ in STEPS])
def test_persistent_fault_fails_cleanly_and_rerun_converges(
    proxy: FaultProxy, s3_server: str, s3_bucket: str, step: str, operation: str, key: str
) -> None:
    """A step that keeps failing raises a storage error; nothing is lost; a re-run finishes."""
    action = ACTIONS[[s for s, _, _ in STEPS].index(step) % len(ACTIONS)]
    direct = direct_lake(s3_server, s3_bucket)
    originals = drop_files(direct)
    expected_rows = {sha(originals[GOOD_KEY]): GOOD_ROWS}
    proxy.plan(Rule(operation, key, action, times=None))  # type: ignore[arg-type]
    lake = faulty_lake(s3_bucket, attempts=2)
    with LakeWatcher(direct, originals, expected_rows) as watcher:
        outcomes, errors = run_ingest(lake, settings_for(s3_bucket, retries=1))
        proxy.wait_idle()
    assert errors, f"a persistent {action} on {step} went unnoticed"
    assert proxy.faults_applied()
    # a storage failure is never mistaken for bad data
    assert all(o.raw_key != GOOD_KEY or o.status == "curated" for o in outcomes)
    assert not any(direct.exists(k) for k in ["quarantine/" + GOOD_KEY.split("/", 2)[2]])
    assert watcher.problems == []
    assert_nothing_lost(direct, originals)
    assert_nothing_partial(direct, originals, expected_rows)

    proxy.clear()
    rerun_outcomes, rerun_errors = run_ingest(faulty_lake(s3_bucket, 6), settings_for(s3_bucket, 5))
    assert rerun_errors == []
    # the good file may have finished in the first run (a lost answer to its last step)
    assert all(
        o.status != "quarantined" for o in [*outcomes, *rerun_outcomes] if o.raw_key == GOOD_KEY
    )
    assert_converged(direct, originals, curated={GOOD_KEY}, expected_rows=expected_rows)


def test_truncated_download_is_never_taken_for_the_whole_file(
    proxy: FaultProxy, s3_server: str, s3_bucket: str
) -> None:
    """A GET cut off halfway (headers promise more bytes) is retried, never parsed short."""
    direct = direct_lake(s3_server, s3_bucket)
    originals = drop_files(direct)
    proxy.plan(Rule("get", r"/raw/", "truncate", times=2))
    outcomes, errors = run_ingest(faulty_lake(s3_bucket, 6), settings_for(s3_bucket, 5))
    expected_rows = {sha(originals[GOOD_KEY]): GOOD_ROWS}
    # the hash read (a plain stream) fails cleanly; the retried task then finishes
    if errors:
        assert all(isinstance(e, (BotoCoreError, ClientError, OSError)) for e in errors)
        proxy.clear()
        more, errors = run_ingest(faulty_lake(s3_bucket, 6), settings_for(s3_bucket, 5))
        outcomes += more
    assert errors == []
    assert len(proxy.faults_applied()) == 2
    assert_converged(direct, originals, curated={GOOD_KEY}, expected_rows=expected_rows)
