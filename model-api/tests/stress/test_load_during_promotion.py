"""Bounded load on loopback while data-pipeline's real `registry.promote` swaps the champion.

Several clients send single rows and small batches over real sockets; a third of the way
in, `pipeline.registry.promote` rewrites champion.json and model-api hot-swaps. Bounded:
at most TOTAL_REQUESTS requests or DEADLINE_SECONDS, whichever comes first. Asserts no
failed request and the swap seen by clients; latency figures are printed, never asserted.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from conftest import CATEGORICAL, serve
from model_api.main import create_app
from model_api.settings import ModelApiSettings
from model_api_testkit import NUMERIC, file_put, fit_pipeline, make_version, write_version

registry = pytest.importorskip("pipeline.registry", reason="data-pipeline is not installed")

pytestmark = [pytest.mark.stress, pytest.mark.pipeline, pytest.mark.e2e]

CLIENTS = 4
TOTAL_REQUESTS = 3000
DEADLINE_SECONDS = 20.0
PROMOTE_AFTER = TOTAL_REQUESTS // 3
BATCH_EVERY = 10  # every tenth request is a batch of BATCH_ROWS
BATCH_ROWS = 8


@dataclass
class Tally:
    """What the clients saw; appended to under a lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0
    statuses: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    versions_by_client: dict[int, list[str]] = field(default_factory=dict)

    def claim(self) -> bool:
        with self.lock:
            if self.sent >= TOTAL_REQUESTS:
                return False
            self.sent += 1
            return True


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def test_promotion_under_load_fails_no_request(
    tmp_path: Any, wine: pd.DataFrame, wine_pipeline: Pipeline
) -> None:
    from pipeline.lake import open_lake

    root = tmp_path / "lake"
    root.mkdir()
    put = file_put(root)
    lake = open_lake(root.as_uri())
    # Same features, another forest: every request stays valid across the swap, so any
    # non-200 is a failure of the swap itself.
    v1 = write_version(put, wine_pipeline, wine, NUMERIC, CATEGORICAL, version=make_version(11))
    other = fit_pipeline(wine, NUMERIC, CATEGORICAL, "quality", n_estimators=12, seed=12)
    v2 = write_version(put, other, wine, NUMERIC, CATEGORICAL, version=make_version(12))
    registry.promote(lake, "wine_quality", v1["version"], "stress test: first champion")

    settings = ModelApiSettings(lake_url=root.as_uri(), poll_interval_seconds=0.1)
    tally = Tally()
    row = dict(v1["example"])
    batch = {"instances": [row] * BATCH_ROWS}
    started = time.monotonic()
    deadline = started + DEADLINE_SECONDS

    with serve(create_app(settings)) as base:

        def client(index: int) -> None:
            seen: list[str] = []
            tally.versions_by_client[index] = seen
            with httpx.Client(base_url=base, timeout=10) as http:
                n = 0
                while time.monotonic() < deadline and tally.claim():
                    n += 1
                    body = batch if n % BATCH_EVERY == 0 else row
                    t0 = time.perf_counter()
                    try:
                        response = http.post("/predict", json=body)
                    except httpx.HTTPError as error:
                        with tally.lock:
                            tally.failures.append(repr(error))
                        continue
                    elapsed = time.perf_counter() - t0
                    with tally.lock:
                        tally.statuses.append(response.status_code)
                        tally.latencies.append(elapsed)
                    if response.status_code == 200:
                        seen.append(response.json()["model_version"])

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        while tally.sent < PROMOTE_AFTER and time.monotonic() < deadline:
            time.sleep(0.01)
        promoted_at = time.monotonic() - started
        registry.promote(lake, "wine_quality", v2["version"], "stress test: hot swap")
        for thread in threads:
            thread.join(timeout=DEADLINE_SECONDS + 30)
        wall = time.monotonic() - started
        ready = httpx.get(f"{base}/ready", timeout=10).json()

    done = len(tally.statuses)
    p50, p99 = _percentile(tally.latencies, 0.50), _percentile(tally.latencies, 0.99)
    print(
        f"\nload during promotion: {done} requests ({CLIENTS} clients, every {BATCH_EVERY}th a "
        f"batch of {BATCH_ROWS}) in {wall:.1f} s = {done / wall:.0f} req/s; promoted at "
        f"{promoted_at:.1f} s; latency p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
        f"max {max(tally.latencies) * 1000:.1f} ms, "
        f"mean {statistics.fmean(tally.latencies) * 1000:.1f} ms"
    )
    assert tally.failures == []
    assert done >= PROMOTE_AFTER  # the load really ran around the swap
    assert set(tally.statuses) == {200}, sorted(set(tally.statuses))
    assert ready["model_version"] == v2["version"]
    all_seen = [v for seen in tally.versions_by_client.values() for v in seen]
    assert set(all_seen) == {v1["version"], v2["version"]}
    for seen in tally.versions_by_client.values():
        # Per client, requests are sequential: once the new version answered, the old one
        # never answers again (the swap is one reference assignment).
        if v2["version"] in seen:
            first_new = seen.index(v2["version"])
            assert set(seen[first_new:]) == {v2["version"]}
    assert sum(v == v2["version"] for v in all_seen) >= 50  # served well after the swap
