"""Security properties of the S3 buckets, KMS keys and SQS queues, read from the Terraform."""

from __future__ import annotations

from typing import Any

import pytest

from infra_paths import as_list, policy_statements, resources, single

pytestmark = pytest.mark.unit

BUCKETS = sorted(resources("aws_s3_bucket"))


def _for_bucket(resource_type: str, bucket: str) -> dict[str, Any]:
    """The one `resource_type` configuring aws_s3_bucket.<bucket>."""
    matches = [
        body
        for body in resources(resource_type).values()
        if body.get("bucket") == f"${{aws_s3_bucket.{bucket}.id}}"
    ]
    assert len(matches) == 1, f"{resource_type} for bucket {bucket}: found {len(matches)}"
    return matches[0]


def test_the_stack_has_the_lake_log_and_dag_buckets() -> None:
    assert BUCKETS == ["dags", "lake", "logs"]


@pytest.mark.parametrize("bucket", BUCKETS)
def test_every_bucket_blocks_all_public_access(bucket: str) -> None:
    block = _for_bucket("aws_s3_bucket_public_access_block", bucket)
    for setting in (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ):
        assert block.get(setting) is True, f"{bucket}: {setting} is {block.get(setting)!r}"


@pytest.mark.parametrize("bucket", BUCKETS)
def test_every_bucket_is_versioned_and_acl_free(bucket: str) -> None:
    versioning = _for_bucket("aws_s3_bucket_versioning", bucket)
    assert single(versioning["versioning_configuration"])["status"] == "Enabled"
    ownership = _for_bucket("aws_s3_bucket_ownership_controls", bucket)
    assert single(ownership["rule"])["object_ownership"] == "BucketOwnerEnforced"


@pytest.mark.parametrize("bucket", BUCKETS)
def test_every_bucket_is_encrypted_by_default(bucket: str) -> None:
    config = _for_bucket("aws_s3_bucket_server_side_encryption_configuration", bucket)
    rule = single(config["rule"])
    default = single(rule["apply_server_side_encryption_by_default"])
    if bucket == "logs":
        # S3 server access logs and ALB logs can only be delivered into SSE-S3 buckets.
        assert default["sse_algorithm"] == "AES256"
    else:
        assert default["sse_algorithm"] == "aws:kms"
        assert default["kms_master_key_id"] == "${aws_kms_key.data.arn}"
        assert rule["bucket_key_enabled"] is True


@pytest.mark.parametrize("bucket", BUCKETS)
def test_every_bucket_policy_denies_requests_without_tls(bucket: str) -> None:
    policy = _for_bucket("aws_s3_bucket_policy", bucket)
    document = policy["policy"].removeprefix("${data.aws_iam_policy_document.").split(".")[0]
    denials = [
        s
        for s in policy_statements(document)
        if s["effect"] == "Deny"
        and s["actions"] == ["s3:*"]
        and any(
            c["test"] == "Bool"
            and c["variable"] == "aws:SecureTransport"
            and c["values"] == ["false"]
            for c in as_list(s.get("condition"))
        )
    ]
    assert denials, f"{bucket}: no Deny s3:* when aws:SecureTransport is false"
    statement = denials[0]
    assert single(statement["principals"])["identifiers"] == ["*"]
    arn = f"${{aws_s3_bucket.{bucket}.arn}}"
    assert set(statement["resources"]) == {arn, f"{arn}/*"}


@pytest.mark.parametrize("bucket", ["lake", "dags"])
def test_data_buckets_write_access_logs_to_the_log_bucket(bucket: str) -> None:
    logging = _for_bucket("aws_s3_bucket_logging", bucket)
    assert logging["target_bucket"] == "${aws_s3_bucket.logs.id}"


def _lake_rules() -> list[dict[str, Any]]:
    lifecycle = _for_bucket("aws_s3_bucket_lifecycle_configuration", "lake")
    return as_list(lifecycle.get("rule"))


def _rule_for_prefix(prefix: str) -> dict[str, Any]:
    for rule in _lake_rules():
        if single(rule["filter"]).get("prefix") == prefix:
            return rule
    raise AssertionError(f"no lifecycle rule for {prefix}")


def test_lake_moves_archive_to_cheaper_storage() -> None:
    rule = _rule_for_prefix("archive/")
    assert rule["status"] == "Enabled"
    transition = single(rule["transition"])
    assert transition["days"] == "${var.archive_transition_days}"
    assert transition["storage_class"] == "${var.archive_storage_class}"


def test_lake_keeps_old_model_versions_for_a_configured_number_of_days() -> None:
    rule = _rule_for_prefix("models/")
    expiration = single(rule["noncurrent_version_expiration"])
    assert expiration["noncurrent_days"] == "${var.model_noncurrent_retention_days}"
    # Current model objects must never expire: only noncurrent versions do.
    assert "expiration" not in rule


def test_lake_aborts_incomplete_multipart_uploads() -> None:
    aborts = [r for r in _lake_rules() if "abort_incomplete_multipart_upload" in r]
    assert aborts and single(aborts[0]["filter"]) == {}


def test_no_lake_rule_expires_current_objects() -> None:
    assert all("expiration" not in rule for rule in _lake_rules())


@pytest.mark.parametrize("key", ["data", "logs"])
def test_kms_keys_rotate(key: str) -> None:
    body = resources("aws_kms_key")[key]
    assert body["enable_key_rotation"] is True
    assert body["deletion_window_in_days"] >= 7


def test_raw_events_queue_has_a_dead_letter_queue() -> None:
    queues = resources("aws_sqs_queue")
    redrive = queues["raw_events"]["redrive_policy"]
    assert "deadLetterTargetArn = aws_sqs_queue.raw_events_dlq.arn" in redrive
    assert "maxReceiveCount" in redrive
    assert "redrive_policy" not in queues["raw_events_dlq"]


@pytest.mark.parametrize("queue", ["raw_events", "raw_events_dlq"])
def test_queues_are_encrypted_with_the_data_key(queue: str) -> None:
    assert resources("aws_sqs_queue")[queue]["kms_master_key_id"] == "${aws_kms_key.data.arn}"


def test_only_the_lake_bucket_may_send_raw_events() -> None:
    allows = [s for s in policy_statements("raw_events_queue") if s["effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["actions"] == ["sqs:SendMessage"]
    assert single(allow["principals"]) == {
        "type": "Service",
        "identifiers": ["s3.amazonaws.com"],
    }
    conditions = {c["variable"]: c for c in as_list(allow["condition"])}
    assert conditions["aws:SourceArn"]["values"] == ["${aws_s3_bucket.lake.arn}"]
    assert conditions["aws:SourceAccount"]["values"] == ["${local.account_id}"]


def test_objects_created_under_raw_notify_the_queue() -> None:
    notification = _for_bucket("aws_s3_bucket_notification", "lake")
    queue = single(notification["queue"])
    assert queue["queue_arn"] == "${aws_sqs_queue.raw_events.arn}"
    assert queue["filter_prefix"] == "raw/"
    assert queue["events"] == ["s3:ObjectCreated:*"]
