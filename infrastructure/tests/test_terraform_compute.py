"""model-api serving path, logs, versions and variables, read from the Terraform."""

from __future__ import annotations

import re

import pytest

from infra_paths import TERRAFORM_DIR, as_list, resources, single, terraform_blocks

pytestmark = pytest.mark.unit


def test_the_load_balancer_checks_liveness_on_health_at_port_8000() -> None:
    group = resources("aws_lb_target_group")["api"]
    assert single(group["health_check"])["path"] == "/health"
    assert group["port"] == "${local.api_container_port}"
    locals_text = (TERRAFORM_DIR / "locals.tf").read_text(encoding="utf-8")
    assert re.search(r"api_container_port\s*=\s*8000\b", locals_text)


def test_https_listener_uses_the_certificate_variable_and_modern_tls() -> None:
    listeners = resources("aws_lb_listener")
    https = listeners["https"]
    assert https["protocol"] == "HTTPS"
    assert https["certificate_arn"] == "${var.api_certificate_arn}"
    assert https["ssl_policy"].startswith("ELBSecurityPolicy-TLS13")
    redirect = single(single(listeners["http_redirect"]["default_action"])["redirect"])
    assert redirect["protocol"] == "HTTPS"


def test_the_load_balancer_is_behind_waf_and_drops_invalid_headers() -> None:
    balancer = resources("aws_lb")["api"]
    assert balancer["drop_invalid_header_fields"] is True
    association = resources("aws_wafv2_web_acl_association")["api"]
    assert association["resource_arn"] == "${aws_lb.api.arn}"


def test_api_service_scales_on_cpu_and_on_requests_per_task() -> None:
    metrics = set()
    for policy in resources("aws_appautoscaling_policy").values():
        configuration = single(policy["target_tracking_scaling_policy_configuration"])
        metrics.add(
            single(configuration["predefined_metric_specification"])["predefined_metric_type"]
        )
    assert metrics == {"ECSServiceAverageCPUUtilization", "ALBRequestCountPerTarget"}


def test_api_tasks_run_privately_with_a_rollback_circuit_breaker() -> None:
    service = resources("aws_ecs_service")["api"]
    assert service["launch_type"] == "FARGATE"
    assert single(service["network_configuration"])["assign_public_ip"] is False
    breaker = single(service["deployment_circuit_breaker"])
    assert breaker == {"enable": True, "rollback": True}


@pytest.mark.parametrize("group", sorted(resources("aws_cloudwatch_log_group")))
def test_log_groups_have_retention_and_encryption(group: str) -> None:
    body = resources("aws_cloudwatch_log_group")[group]
    assert body["retention_in_days"] == "${var.log_retention_days}"
    assert body["kms_key_id"] == "${aws_kms_key.logs.arn}"


def test_versions_pin_terraform_and_the_aws_provider() -> None:
    (settings,) = terraform_blocks()["terraform"]
    assert settings["required_version"].startswith(">= 1.10")
    assert "< 2.0.0" in settings["required_version"]
    aws = single(settings["required_providers"])["aws"]
    assert aws["source"] == "hashicorp/aws"
    assert aws["version"].startswith("~> ")


def test_plan_needs_no_remote_backend_and_one_is_documented() -> None:
    for path in TERRAFORM_DIR.glob("*.tf"):
        assert 'backend "s3"' not in path.read_text(encoding="utf-8"), path.name
    example = (TERRAFORM_DIR / "backend.tf.example").read_text(encoding="utf-8")
    assert 'backend "s3"' in example
    assert "use_lockfile = true" in example


def _variables() -> dict[str, dict[str, object]]:
    merged: dict[str, dict[str, object]] = {}
    for block in terraform_blocks()["variable"]:
        merged.update(block)
    return merged


@pytest.mark.parametrize("name", sorted(_variables()))
def test_every_variable_is_described_and_validated(name: str) -> None:
    body = _variables()[name]
    assert isinstance(body.get("description"), str) and len(str(body["description"])) > 20
    if body["type"] == "bool":
        return  # nothing to validate beyond the type
    validations = as_list(body.get("validation"))
    assert validations, f"variable {name} has no validation block"
    for validation in validations:
        assert len(validation["error_message"]) > 20


def test_every_output_is_described() -> None:
    for block in terraform_blocks()["output"]:
        for name, body in block.items():
            assert body.get("description"), f"output {name} has no description"


def test_every_checkov_skip_gives_a_reason() -> None:
    skip = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")
    found = 0
    for path in TERRAFORM_DIR.rglob("*.tf"):
        for match in skip.finditer(path.read_text(encoding="utf-8")):
            found += 1
            reason = (match.group(2) or "").strip()
            assert len(reason) >= 30, f"{path.name}: {match.group(1)} skipped without a reason"
    assert found > 0
