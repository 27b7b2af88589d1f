"""Paths and parsed files the infrastructure tests share (no fixtures: plain functions)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import hcl2
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO_ROOT / "infrastructure" / "terraform"
WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"
PATH_FILTERS = REPO_ROOT / ".github" / "path-filters.yml"
ACTIONLINT_DIR = REPO_ROOT / "infrastructure" / "tests" / "actionlint"
CHECKOV_VENV = REPO_ROOT / ".venv-checkov"
CHECKOV_REQUIREMENTS = REPO_ROOT / "infrastructure" / "requirements-checkov.txt"

_HCL_OPTIONS = hcl2.SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, with_comments=False
)


@functools.cache
def terraform_blocks() -> dict[str, list[dict[str, Any]]]:
    """Every top-level block of every .tf file, merged by block type ("resource", "data"...)."""
    merged: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(TERRAFORM_DIR.rglob("*.tf")):
        with path.open(encoding="utf-8") as handle:
            parsed = hcl2.load(handle, serialization_options=_HCL_OPTIONS)
        for kind, blocks in parsed.items():
            merged.setdefault(kind, []).extend(blocks)
    return merged


def resources(resource_type: str, block_kind: str = "resource") -> dict[str, dict[str, Any]]:
    """All resources (or data sources) of one type, by name, e.g. resources("aws_s3_bucket")."""
    found: dict[str, dict[str, Any]] = {}
    for block in terraform_blocks().get(block_kind, []):
        for name, body in block.get(resource_type, {}).items():
            found[name] = body
    return found


def as_list(value: Any) -> list[Any]:
    """HCL blocks and list attributes both come back as lists; a lone value becomes [value]."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def single(value: Any) -> dict[str, Any]:
    """The one block of a block attribute that may appear once (e.g. `versioning_configuration`)."""
    blocks = as_list(value)
    assert len(blocks) == 1, f"expected exactly one block, got {blocks!r}"
    block = blocks[0]
    assert isinstance(block, dict)
    return block


def policy_statements(document_name: str) -> list[dict[str, Any]]:
    """Statements of one `data "aws_iam_policy_document"`, with Effect defaulted to Allow."""
    documents = resources("aws_iam_policy_document", block_kind="data")
    assert document_name in documents, f"no policy document named {document_name!r}"
    statements = []
    for statement in as_list(documents[document_name].get("statement")):
        statements.append({"effect": "Allow", **statement})
    return statements


def load_yaml(path: Path) -> Any:
    """A YAML file as Python data. PyYAML reads the key `on` as True: callers use on_block()."""
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def on_block(workflow: dict[Any, Any]) -> dict[str, Any]:
    """A workflow's triggers (`on:`), whichever way YAML 1.1 spelled the key."""
    triggers = workflow.get("on", workflow.get(True))
    assert isinstance(triggers, dict), f"`on:` must be a mapping, got {triggers!r}"
    return triggers


def workflow_files() -> list[Path]:
    """Every workflow file under .github/workflows."""
    return sorted([*WORKFLOWS_DIR.glob("*.yml"), *WORKFLOWS_DIR.glob("*.yaml")])
