"""No secret in any git-tracked file of the repository (detect-secrets)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infra_paths import REPO_ROOT

pytestmark = pytest.mark.lint

BASELINE = REPO_ROOT / ".secrets.baseline"


def _finding_keys(results: dict[str, list[dict[str, str]]]) -> set[tuple[str, str, str]]:
    return {
        (filename, secret["type"], secret["hashed_secret"])
        for filename, secrets in results.items()
        for secret in secrets
    }


def _scan(*files: str, cwd: Path = REPO_ROOT) -> dict[str, list[dict[str, str]]]:
    detect_secrets = Path(sys.executable).parent / "detect-secrets"
    result = subprocess.run(
        [str(detect_secrets), "scan", *files],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,  # detect-secrets ignores paths outside its working directory
    )
    results: dict[str, list[dict[str, str]]] = json.loads(result.stdout)["results"]
    return results


def test_no_secrets_in_tracked_files() -> None:
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], capture_output=True, check=True, cwd=REPO_ROOT)
        .stdout.decode()
        .split("\0")
    )
    files = [f for f in tracked if f and (REPO_ROOT / f).is_file() and f != BASELINE.name]
    assert len(files) > 10
    allowed = _finding_keys(json.loads(BASELINE.read_text(encoding="utf-8"))["results"])
    # A dummy the baseline accepts in one test file (moto's "testing" credentials) is
    # accepted in any test file: the value is what was reviewed, not where it is copied.
    dummy_hashes = {hashed for _, _, hashed in allowed}
    new = sorted(
        (filename, kind, hashed)
        for filename, kind, hashed in _finding_keys(_scan(*files)) - allowed
        if not (hashed in dummy_hashes and "/tests/" in f"/{filename}")
    )
    assert not new, (
        "possible secrets (move them to the environment, or if they are test dummies add them "
        "with `detect-secrets scan --baseline .secrets.baseline` and say why in review):\n"
        + "\n".join(f"{f}: {kind}" for f, kind, _ in new)
    )


def test_the_scanner_finds_a_planted_key(tmp_path: Path) -> None:
    planted = tmp_path / "settings.py"
    # Built at run time so this file itself holds no key-shaped string.
    key_id = "AKIA" + "Q3EGRQKZ7XGTFJ4V"
    planted.write_text(f'aws_access_key_id = "{key_id}"\n', encoding="utf-8")
    assert _scan(planted.name, cwd=tmp_path)


def test_the_baseline_allows_only_test_dummies() -> None:
    results = json.loads(BASELINE.read_text(encoding="utf-8"))["results"]
    for filename in results:
        assert "/tests/" in f"/{filename}", f"{filename}: only test dummies belong in the baseline"
