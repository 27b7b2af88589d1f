"""Workflow design rules: path filters route each component to its own workflow, the gate
keeps branch protection working, actions are pinned, permissions and time are bounded."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Any

import pytest

from infra_paths import PATH_FILTERS, WORKFLOWS_DIR, load_yaml, on_block, workflow_files

pytestmark = pytest.mark.unit

COMPONENTS = ("data-pipeline", "model-api", "infrastructure")


def _glob_match(path: str, pattern: str) -> bool:
    """GitHub's path-filter glob: `**` crosses directories, `*` does not."""
    regex = re.escape(pattern).replace(r"\*\*", "\x00").replace(r"\*", "[^/]*")
    return re.fullmatch(regex.replace("\x00", ".*"), path) is not None


def _push_paths(component: str) -> list[str]:
    workflow = load_yaml(WORKFLOWS_DIR / f"{component}.yml")
    paths: list[str] = on_block(workflow)["push"]["paths"]
    return paths


def _gate_filters() -> dict[str, list[str]]:
    filters: dict[str, list[str]] = load_yaml(PATH_FILTERS)
    return filters


def _triggered_on_push(changed: list[str]) -> set[str]:
    return {
        c for c in COMPONENTS if any(_glob_match(f, p) for f in changed for p in _push_paths(c))
    }


def _triggered_on_pull_request(changed: list[str]) -> set[str]:
    return {
        c
        for c, patterns in _gate_filters().items()
        if any(_glob_match(f, p) for f in changed for p in patterns)
    }


def test_glob_semantics() -> None:
    assert _glob_match("model-api/src/model_api/app.py", "model-api/**")
    assert not _glob_match("model-api-old/x.py", "model-api/**")
    assert not _glob_match(".github/workflows/sub/x.yml", ".github/workflows/*.yml")
    assert fnmatch.fnmatch("Makefile", "Makefile")


@pytest.mark.parametrize("component", COMPONENTS)
def test_push_paths_and_pull_request_filters_agree(component: str) -> None:
    assert _push_paths(component) == _gate_filters()[component]


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (["model-api/src/model_api/main.py"], {"model-api"}),
        (["model-api/Dockerfile", "model-api/tests/test_x.py"], {"model-api"}),
        (["data-pipeline/dags/ingest.py"], {"data-pipeline"}),
        (["infrastructure/terraform/s3_lake.tf"], {"infrastructure"}),
        (["docs/DEPLOY.md", "README.md"], set()),
        (["constraints.txt"], {"data-pipeline", "model-api"}),
    ],
)
def test_a_change_triggers_only_its_components(changed: list[str], expected: set[str]) -> None:
    assert _triggered_on_push(changed) == expected
    assert _triggered_on_pull_request(changed) == expected


def _workflow(name: str) -> dict[Any, Any]:
    loaded: dict[Any, Any] = load_yaml(WORKFLOWS_DIR / name)
    return loaded


def test_component_workflows_run_on_pull_requests_only_through_the_gate() -> None:
    # A workflow-level `paths:` skip never reports a status; a required check on it would
    # hang. So component workflows have no pull_request trigger of their own.
    for component in COMPONENTS:
        triggers = on_block(_workflow(f"{component}.yml"))
        assert "pull_request" not in triggers
        assert "workflow_call" in triggers
    gate = _workflow("ci-gate.yml")
    gate_triggers = on_block(gate)
    assert "pull_request" in gate_triggers
    assert "paths" not in (gate_triggers["pull_request"] or {})
    for component in COMPONENTS:
        job = gate["jobs"][component]
        assert job["uses"] == f"./.github/workflows/{component}.yml"
        assert job["if"] == f"needs.changes.outputs.{component} == 'true'"


def test_the_required_job_accepts_success_or_skipped_and_nothing_else() -> None:
    required = _workflow("ci-gate.yml")["jobs"]["required"]
    assert required["if"] == "always()"
    assert set(required["needs"]) == {"changes", *COMPONENTS}
    script = required["steps"][-1]["run"]
    assert '.value.result == "success" or .value.result == "skipped"' in script
    assert "jq -e" in script


def _jobs(path: Path) -> dict[str, dict[str, Any]]:
    jobs: dict[str, dict[str, Any]] = load_yaml(path)["jobs"]
    return jobs


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_workflows_bound_time_permissions_and_concurrency(path: Path) -> None:
    workflow = load_yaml(path)
    assert workflow["permissions"] == {"contents": "read"}
    assert "concurrency" in workflow
    for name, job in _jobs(path).items():
        if "uses" in job:  # a called workflow brings its own limits
            continue
        assert isinstance(job.get("timeout-minutes"), int), f"{path.name}:{name}"
        for permission, level in (job.get("permissions") or {}).items():
            assert level in {"read", "write"}
            if level == "write":
                assert permission in {"id-token"}, f"{path.name}:{name} writes {permission}"


@pytest.mark.parametrize("path", workflow_files(), ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_sha(path: Path) -> None:
    uses = re.findall(r"uses:\s*([^\s#]+)(?:\s*#\s*(\S+))?", path.read_text(encoding="utf-8"))
    for action, comment in uses:
        if action.startswith("./"):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), action
        assert comment.startswith("v"), f"{action}: add the version as a comment"


def test_apply_runs_only_in_the_protected_environment_on_main() -> None:
    apply = _jobs(WORKFLOWS_DIR / "infrastructure.yml")["apply"]
    assert apply["environment"] == "production"
    assert "github.ref == 'refs/heads/main'" in apply["if"]
    assert apply["concurrency"]["cancel-in-progress"] is False
    steps = " ".join(str(step.get("run", "")) for step in apply["steps"])
    assert "apply tfplan" in steps
    assert "-auto-approve" not in steps


def test_deploys_happen_only_on_main() -> None:
    for component, job in (("model-api", "publish"), ("data-pipeline", "publish")):
        condition = _jobs(WORKFLOWS_DIR / f"{component}.yml")[job]["if"]
        assert "github.ref == 'refs/heads/main'" in condition
    deploy = _jobs(WORKFLOWS_DIR / "model-api.yml")["deploy"]
    assert deploy["needs"] == "publish"


def test_the_model_api_image_is_the_server_stage() -> None:
    # model-api/Dockerfile ends with a Lambda stage; ECS must get the uvicorn `runtime` stage.
    publish = _jobs(WORKFLOWS_DIR / "model-api.yml")["publish"]
    build = " ".join(str(step.get("run", "")) for step in publish["steps"])
    assert "-f model-api/Dockerfile --target runtime" in build
