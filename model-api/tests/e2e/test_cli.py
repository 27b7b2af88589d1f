"""The `model-api` console script: a real process, two workers, metrics summed across them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import Lake, free_port

pytestmark = pytest.mark.e2e


def test_two_workers_serve_and_metrics_add_up(wine_lake: Lake, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "LAKE_URL": wine_lake.url, "MODEL_API_LOG_LEVEL": "INFO"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = (tmp_path / "server.log").open("wb")
    command = [
        sys.executable,
        "-c",
        "import sys; from model_api.main import main; sys.exit(main(sys.argv[1:]))",
        "--port",
        str(port),
        "--workers",
        "2",
    ]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=5) as client:
            deadline = time.monotonic() + 120
            while True:
                assert process.poll() is None, (tmp_path / "server.log").read_text()
                try:
                    if client.get("/ready").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "not ready in time"
                time.sleep(0.1)
            row = client.get("/model").json()["example"]
            # New connections spread over both workers; each request is counted once.
            for _ in range(30):
                with httpx.Client(base_url=base, timeout=5) as fresh:
                    assert fresh.post("/predict", json=row).status_code == 200
            text = client.get("/metrics").text
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
    line = next(
        ln
        for ln in text.splitlines()
        if ln.startswith("model_api_requests_total{") and 'route="/predict"' in ln
    )
    assert float(line.split()[-1]) == 30.0
    assert text.count("model_api_model_info{") >= 1
    logged = (tmp_path / "server.log").read_text()
    assert '"request_id"' in logged and '"path": "/predict"' in logged
