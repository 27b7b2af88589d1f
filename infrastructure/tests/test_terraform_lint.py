"""terraform fmt and checkov over infrastructure/terraform."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra_paths import TERRAFORM_DIR

pytestmark = pytest.mark.lint


def test_terraform_is_formatted(terraform_bin: str) -> None:
    result = subprocess.run(
        [terraform_bin, "fmt", "-check", "-recursive", "-diff", str(TERRAFORM_DIR)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"run `terraform fmt -recursive`:\n{result.stdout}"


def _checkov_reports(checkov_bin: Path, directory: Path = TERRAFORM_DIR) -> list[dict[str, Any]]:
    result = subprocess.run(
        [
            str(checkov_bin),
            "--directory",
            str(directory),
            "--framework",
            "terraform",
            "--output",
            "json",
            "--skip-download",  # offline: no policy metadata from the vendor's platform
        ],
        capture_output=True,
        text=True,
        check=False,
        env={"BC_SKIP_MAPPING": "TRUE", "PATH": str(checkov_bin.parent)},
    )
    # checkov exits 1 when a check failed; anything else with no JSON is a crash.
    assert result.stdout.strip(), (
        f"checkov printed nothing (exit {result.returncode}):\n{result.stderr[-3000:]}"
    )
    parsed = json.loads(result.stdout)
    return parsed if isinstance(parsed, list) else [parsed]


def test_checkov_reports_no_failed_check(checkov_bin: Path) -> None:
    reports = _checkov_reports(checkov_bin)
    terraform = [r for r in reports if r.get("check_type") == "terraform"]
    assert terraform, f"checkov produced no terraform report: {reports!r:.500}"
    results = terraform[0]["results"]
    failed = results.get("failed_checks", [])
    lines = [
        f"{c['check_id']} {c['resource']} ({c['file_path']}:{c['file_line_range'][0]}): "
        f"{c['check_name']}"
        for c in failed
    ]
    assert not failed, "checkov failed checks:\n" + "\n".join(lines)
    # A scan that passed nothing scanned nothing.
    summary = terraform[0]["summary"]
    assert summary["failed"] == 0
    assert summary["passed"] > 100
    assert summary["parsing_errors"] == 0
    for skipped in results.get("skipped_checks", []):
        reason = (skipped.get("check_result") or {}).get("suppress_comment", "")
        assert len(reason) >= 30, f"{skipped['check_id']} on {skipped['resource']}: no reason"


def test_checkov_fails_an_insecure_bucket(checkov_bin: Path, tmp_path: Path) -> None:
    # Negative control: the harness must see failures, not just count zero of them.
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket" "open" {\n  bucket = "an-open-bucket"\n}\n', encoding="utf-8"
    )
    (report,) = [
        r for r in _checkov_reports(checkov_bin, tmp_path) if r["check_type"] == "terraform"
    ]
    failed = {c["check_id"] for c in report["results"]["failed_checks"]}
    assert {"CKV2_AWS_6", "CKV_AWS_145"} <= failed  # no public access block, no KMS
