"""Least privilege, read straight from the policy documents in the Terraform."""

from __future__ import annotations

import re
from typing import Any

import pytest

from infra_paths import TERRAFORM_DIR, as_list, policy_statements, resources, single

pytestmark = pytest.mark.unit

LAKE_ARN = "${aws_s3_bucket.lake.arn}"
WRITE_WORDS = re.compile(r"(Put|Delete|Write|Create|Update|Copy|Restore|Replicate|Tag)", re.I)
KEY_POLICIES = {"kms_data", "kms_logs"}
# Actions AWS offers without resource-level permissions ("*" is the only valid resource).
NO_RESOURCE_LEVEL = {
    "ecr:GetAuthorizationToken",
    "ecs:RegisterTaskDefinition",
    "ecs:DescribeTaskDefinition",
    "logs:DescribeLogGroups",
    "cloudwatch:PutMetricData",
    "s3:GetAccountPublicAccessBlock",
}


def _allows(document: str) -> list[dict[str, Any]]:
    return [s for s in policy_statements(document) if s["effect"] == "Allow"]


def _all_documents() -> list[str]:
    return sorted(resources("aws_iam_policy_document", block_kind="data"))


def test_the_model_api_role_reads_models_and_writes_only_prediction_logs() -> None:
    statements = _allows("api_task")
    actions = {a for s in statements for a in s["actions"]}
    assert actions == {
        "s3:ListBucket", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject",
        "kms:Decrypt", "kms:GenerateDataKey",
    }  # fmt: skip
    assert not [a for a in actions if "Delete" in a]
    readable = {f"{LAKE_ARN}/models/*", f"{LAKE_ARN}/reports/*/drift/latest.json"}
    for statement in statements:
        lake_objects = [r for r in statement["resources"] if r.startswith(f"{LAKE_ARN}/")]
        writes = [a for a in statement["actions"] if WRITE_WORDS.search(a.split(":")[1])]
        if writes and lake_objects:
            assert writes == ["s3:PutObject"]
            assert lake_objects == [f"{LAKE_ARN}/predictions/*"]
        elif lake_objects:
            assert set(lake_objects) <= readable


def test_the_model_api_role_lists_only_the_models_prefix() -> None:
    (listing,) = [s for s in _allows("api_task") if "s3:ListBucket" in s["actions"]]
    (condition,) = as_list(listing["condition"])
    assert condition["variable"] == "s3:prefix"
    assert condition["values"] == ["models/*"]


def test_the_model_api_container_runs_non_root_on_a_read_only_filesystem() -> None:
    definitions = resources("aws_ecs_task_definition")["api"]["container_definitions"]
    assert 'user = "10001:10001"' in definitions
    assert "readonlyRootFilesystem = true" in definitions
    assert "privileged = false" in definitions
    assert 'drop = ["ALL"]' in definitions


def _pipeline_actions_on(prefix: str) -> set[str]:
    return {
        action
        for s in _allows("pipeline_lake")
        for action in s["actions"]
        if f"{LAKE_ARN}/{prefix}/*" in s["resources"] or f"{LAKE_ARN}/*" in s["resources"]
    }


def test_the_pipeline_never_writes_raw() -> None:
    raw_actions = _pipeline_actions_on("raw")
    assert "s3:PutObject" not in raw_actions
    assert "s3:GetObject" in raw_actions


@pytest.mark.parametrize("prefix", ["archive", "quarantine", "curated", "reports", "models"])
def test_the_pipeline_writes_every_derived_prefix(prefix: str) -> None:
    writes = [s for s in _allows("pipeline_lake") if "s3:PutObject" in s["actions"]]
    assert len(writes) == 1
    # The resources are generated from this list in iam_pipeline.tf.
    assert "local.lake_prefixes_written_by_pipeline" in writes[0]["resources"]
    text = (TERRAFORM_DIR / "locals.tf").read_text(encoding="utf-8")
    (line,) = [x for x in text.splitlines() if "lake_prefixes_written_by_pipeline =" in x]
    assert f'"{prefix}"' in line
    assert '"raw"' not in line


def test_the_pipeline_deletes_only_raw_objects_and_never_versions() -> None:
    deletes = [
        s for s in _allows("pipeline_lake") if any(a.startswith("s3:Delete") for a in s["actions"])
    ]
    assert len(deletes) == 1
    assert deletes[0]["actions"] == ["s3:DeleteObject"]
    assert deletes[0]["resources"] == [f"{LAKE_ARN}/raw/*"]
    denies = [s for s in policy_statements("pipeline_lake") if s["effect"] == "Deny"]
    denied = {a for s in denies for a in s["actions"]}
    assert {"s3:DeleteObjectVersion", "s3:PutBucketVersioning", "s3:PutBucketPolicy"} <= denied


@pytest.mark.parametrize("document", _all_documents())
def test_no_policy_allows_every_action(document: str) -> None:
    for statement in _allows(document):
        actions = as_list(statement.get("actions"))
        assert "*" not in actions, f"{document}/{statement.get('sid')}: Action '*'"
        if "*" in as_list(statement.get("resources")) and document not in KEY_POLICIES:
            # "*" resources only for APIs that have nothing narrower.
            assert set(actions) <= NO_RESOURCE_LEVEL, (
                f"{document}/{statement.get('sid')}: {actions} on '*'"
            )


def test_no_inline_json_policy_allows_every_action() -> None:
    pattern = re.compile(r"""["']?Action["']?\s*[:=]\s*["']\*["']""")
    for path in TERRAFORM_DIR.rglob("*.tf"):
        assert not pattern.search(path.read_text(encoding="utf-8")), path.name


def test_no_administrator_access_is_attached() -> None:
    for attachment in resources("aws_iam_role_policy_attachment").values():
        assert not attachment["policy_arn"].endswith("policy/AdministratorAccess")


def _trust_conditions(document: str) -> dict[str, dict[str, Any]]:
    (statement,) = policy_statements(document)
    assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    return {c["variable"]: c for c in as_list(statement["condition"])}


@pytest.mark.parametrize(
    ("document", "subjects"),
    [
        ("github_plan_assume", {"pull_request", "ref:refs/heads/main"}),
        ("github_release_assume", {"ref:refs/heads/main"}),
        ("github_terraform_assume", {"environment:${var.github_deploy_environment}"}),
    ],
)
def test_github_roles_trust_only_this_repository_and_context(
    document: str, subjects: set[str]
) -> None:
    conditions = _trust_conditions(document)
    audience = conditions["token.actions.githubusercontent.com:aud"]
    assert audience["test"] == "StringEquals"
    assert audience["values"] == ["sts.amazonaws.com"]
    subject = conditions["token.actions.githubusercontent.com:sub"]
    # StringEquals: no wildcard can widen the trust to other repos, branches or forks.
    assert subject["test"] == "StringEquals"
    assert {v.removeprefix("${local.github_sub_prefix}:") for v in subject["values"]} == subjects
    locals_text = (TERRAFORM_DIR / "github_oidc.tf").read_text(encoding="utf-8")
    assert 'github_sub_prefix = "repo:${var.github_repository}"' in locals_text


def test_ci_uses_no_long_lived_keys() -> None:
    assert not resources("aws_iam_access_key")
    assert not resources("aws_iam_user")


def test_the_release_role_passes_only_the_model_api_roles_to_ecs() -> None:
    passes = [s for s in _allows("github_release") if "iam:PassRole" in s["actions"]]
    resources_passed = {r for s in passes for r in s["resources"]}
    assert resources_passed == {
        "${aws_iam_role.api_task.arn}",
        "${aws_iam_role.api_execution.arn}",
        "${aws_iam_role.pipeline.arn}",
    }
    for statement in passes:
        (condition,) = as_list(statement["condition"])
        assert condition["variable"] == "iam:PassedToService"


def test_ecr_repositories_are_immutable_scanned_and_expire_old_images() -> None:
    repository = resources("aws_ecr_repository")["this"]
    assert repository["image_tag_mutability"] == "IMMUTABLE"
    assert single(repository["image_scanning_configuration"])["scan_on_push"] is True
    assert single(repository["encryption_configuration"])["encryption_type"] == "KMS"
    lifecycle = resources("aws_ecr_lifecycle_policy")["this"]
    assert lifecycle["for_each"] == "${aws_ecr_repository.this}"
    locals_text = (TERRAFORM_DIR / "ecr.tf").read_text(encoding="utf-8")
    assert 'toset(["model-api", "data-pipeline"])' in locals_text


@pytest.mark.parametrize("role", ["api_task", "api_execution", "pipeline"])
def test_workload_roles_carry_only_their_reviewed_inline_policies(role: str) -> None:
    attached = [
        a
        for a in resources("aws_iam_role_policy_attachment").values()
        if a["role"] in {f"${{aws_iam_role.{role}.name}}", f"${{aws_iam_role.{role}.id}}"}
    ]
    assert not attached, f"{role} has managed policies attached: {attached}"
    inline = [
        p
        for p in resources("aws_iam_role_policy").values()
        if p["role"] == f"${{aws_iam_role.{role}.id}}"
    ]
    assert inline, f"{role} has no inline policy"
