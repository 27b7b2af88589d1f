"""schemathesis against the service's own /openapi.json, over a real socket.

Every check schemathesis has (`--checks all`): no 5xx, status codes documented, response
bodies and content types matching the schema, negative data refused with a 4xx... The run
is bounded (examples per operation, fixed seed, per-request timeout, subprocess timeout).
The CLI runs as a subprocess so its own Hypothesis settings and event loop stay out of ours.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Lake, serve
from model_api.main import create_app
from model_api.settings import ModelApiSettings
from model_api_testkit import NUMERIC, file_put

pytest.importorskip("schemathesis", reason="schemathesis is not installed (make install)")

pytestmark = [pytest.mark.security, pytest.mark.e2e]

MAX_EXAMPLES = 60  # per operation and phase; ~300 requests in total
RUN_TIMEOUT_SECONDS = 120
# Made at run time: a literal key would (rightly) trip the repository's secret scanner.
API_KEY = secrets.token_urlsafe(32)


def _cli() -> str:
    beside = Path(sys.executable).with_name("schemathesis")
    found = str(beside) if beside.exists() else shutil.which("schemathesis")
    assert found, "the schemathesis CLI is not on PATH"
    return found


@pytest.fixture(scope="module")
def lake_url(
    tmp_path_factory: pytest.TempPathFactory, wine: Any, wine_pipeline: Any
) -> Iterator[str]:
    """A file:// lake serving the 20-tree wine model."""
    root = tmp_path_factory.mktemp("schemathesis-lake")
    Lake(root.as_uri(), file_put(root)).publish(wine_pipeline, wine, NUMERIC, ["wine_type"], seed=1)
    yield root.as_uri()


@pytest.mark.parametrize("with_key", [False, True], ids=["open", "api-key"])
def test_schemathesis_finds_no_5xx_and_no_schema_violation(
    lake_url: str, tmp_path: Path, with_key: bool
) -> None:
    settings = ModelApiSettings(lake_url=lake_url, api_key=API_KEY if with_key else None)
    command = [
        _cli(),
        "run",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        "1",
        "--request-timeout",
        "10",
        "--generation-database",
        "none",
    ]
    if with_key:
        command += ["--header", f"X-API-Key: {API_KEY}"]
    with serve(create_app(settings)) as base:
        result = subprocess.run(
            [*command, f"{base}/openapi.json"],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_SECONDS,
            cwd=tmp_path,
            check=False,
        )
    output = result.stdout + result.stderr
    print(output[-3000:])  # the summary (operations, cases generated) lands in the test log
    assert result.returncode == 0, output[-8000:]
    assert "No issues found" in output
    assert "Operations:       6 selected / 6 total" in output
