"""Training through a misbehaving S3 endpoint: retried, or failed cleanly; re-run converges.

The curated data is written first without faults; then `pipeline.train.train_dataset` runs
through the fault proxy. Afterwards every registered version is whole (each artifact's
sha256 matches its manifest) and the champion pointer, when present, names a whole version
by the exact sha256 of its manifest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from reliability_checks import SOAK
from reliability_lakes import direct_lake, faulty_lake
from reliability_proxy import FaultProxy, Rule

from pipeline import layout, registry
from pipeline.datasets import load_dataset_spec
from pipeline.ingest import ingest_raw_object
from pipeline.lake import Lake
from pipeline.settings import PipelineSettings
from pipeline.train import TrainResult, train_dataset
from testdata import RED_WINE

pytestmark = [pytest.mark.reliability, pytest.mark.s3]

DATASET = "wine_quality"
# Every storage request training makes, as (step, S3 operation, key pattern).
TRAIN_STEPS: list[tuple[str, str, str]] = [
    ("list-curated", "list", ""),
    ("get-curated", "get", r"/curated/"),
    ("put-artifact", "put", r"/models/wine_quality/v[^/]+/(forest\.npz|model\.)"),
    ("put-manifest", "put", r"/manifest\.json$"),
    ("get-manifest", "get", r"/manifest\.json$"),
    ("head-champion", "head", r"/champion\.json$"),
    ("put-champion", "put", r"/champion\.json$"),
    ("put-runs", "put", r"/runs\.jsonl$"),
]


@pytest.fixture
def proxy(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultProxy]:
    faults = FaultProxy(s3_server, delay_seconds=1.5).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", faults.url)
    yield faults
    faults.clear()
    faults.wait_idle()
    faults.stop()


@pytest.fixture
def curated_bucket(s3_server: str, s3_bucket: str) -> str:
    lake = direct_lake(s3_server, s3_bucket)
    key = f"raw/{DATASET}/wine_type=red/{RED_WINE.name}"
    lines = RED_WINE.read_bytes().splitlines(keepends=True)
    lake.write_bytes(key, b"".join(lines[:401]))  # 400 rows: enough to train, quick to curate
    settings = PipelineSettings(LAKE_URL=f"s3://{s3_bucket}/lake")
    assert ingest_raw_object(lake, key, settings, today=date(2026, 11, 30)).status == "curated"
    return s3_bucket


def train(lake: Lake, bucket: str, retries: int) -> TrainResult:
    settings = PipelineSettings(
        LAKE_URL=f"s3://{bucket}/lake", search_budget=1, storage_retries=retries
    )
    spec = load_dataset_spec(DATASET, settings.datasets_dir)
    return train_dataset(lake, spec, settings, search_budget=1)


def assert_models_whole(lake: Lake) -> list[str]:
    """Every manifest's artifacts match it; the champion names a whole version. Returns them."""
    versions = []
    for info in lake.list(layout.models_prefix(DATASET)):
        if not info.key.endswith("/manifest.json"):
            continue
        manifest = json.loads(lake.read_bytes(info.key))
        for artifact in manifest["artifacts"].values():
            data = lake.read_bytes(info.key.rsplit("/", 1)[0] + "/" + artifact["path"])
            assert hashlib.sha256(data).hexdigest() == artifact["sha256"], artifact
            assert len(data) == artifact["bytes"]
        versions.append(manifest["version"])
    champion = registry.get_champion(lake, DATASET)
    if champion is not None:
        manifest_bytes = lake.read_bytes(champion["manifest"])
        assert hashlib.sha256(manifest_bytes).hexdigest() == champion["manifest_sha256"]
        assert champion["version"] in versions
    return versions


@pytest.mark.parametrize(
    "action",
    [
        "drop_response",
        pytest.param("503", marks=SOAK),
        pytest.param("reset", marks=SOAK),
        pytest.param("timeout", marks=SOAK),
    ],
)
def test_training_retries_a_fault_at_every_step(
    proxy: FaultProxy, s3_server: str, curated_bucket: str, action: str
) -> None:
    rules = [Rule(op, key, action, times=1) for _, op, key in TRAIN_STEPS]  # type: ignore[arg-type]
    proxy.plan(*rules)
    result = train(faulty_lake(curated_bucket, attempts=6), curated_bucket, retries=5)
    proxy.wait_idle()
    missed = [name for (name, _, _), rule in zip(TRAIN_STEPS, rules, strict=True) if not rule.hits]
    assert missed == [], f"training never reached: {missed}"
    direct = direct_lake(s3_server, curated_bucket)
    assert result.promoted
    assert assert_models_whole(direct) == [result.version]
    assert registry.get_champion(direct, DATASET)["version"] == result.version  # type: ignore[index]
    assert len(registry.read_runs(direct, DATASET)) == 1  # a retried append is not doubled


@pytest.mark.parametrize(
    ("step", "operation", "key"),
    [
        pytest.param(*step, id=step[0], marks=[] if step[0] == "put-champion" else SOAK)
        for step in TRAIN_STEPS
        if step[0] in {"put-artifact", "put-manifest", "put-champion"}
    ],
)
def test_persistent_training_fault_fails_cleanly_and_rerun_converges(
    proxy: FaultProxy, s3_server: str, curated_bucket: str, step: str, operation: str, key: str
) -> None:
    proxy.plan(Rule(operation, key, "503", times=None))  # type: ignore[arg-type]
    with pytest.raises((BotoCoreError, ClientError, OSError)):
        train(faulty_lake(curated_bucket, attempts=2), curated_bucket, retries=1)
    proxy.wait_idle()
    direct = direct_lake(s3_server, curated_bucket)
    assert registry.get_champion(direct, DATASET) is None  # nothing half-promoted
    assert_models_whole(direct)

    proxy.clear()
    result = train(faulty_lake(curated_bucket, attempts=6), curated_bucket, retries=5)
    assert result.promoted
    assert result.version in assert_models_whole(direct)
    assert registry.get_champion(direct, DATASET)["version"] == result.version  # type: ignore[index]
