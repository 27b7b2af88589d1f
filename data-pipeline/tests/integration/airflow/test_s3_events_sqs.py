"""The event-driven path on loopback: S3 notifications -> SQS -> Airflow's SQS trigger
-> the event DAG's key parsing -> ingest, idempotent on (bucket, key, etag).

moto's server plays both S3 and SQS; the bucket's notification configuration sends
`ObjectCreated` events for the lake's raw/ prefix to the queue, as on AWS.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from airflow_harness import WINE_FILES, airflow_env
from pipeline.lake import S3Lake, make_s3_client
from pipeline.orchestration import ingest_one, raw_keys_from_trigger_payloads
from pipeline.settings import PipelineSettings

pytestmark = [pytest.mark.airflow, pytest.mark.s3]

TRIGGER_ONCE = Path(__file__).with_name("sqs_trigger_once.py")
RED_KEY = "raw/wine_quality/wine_type=red/winequality-red.csv"


@pytest.fixture
def notified_lake(s3_bucket: str, s3_server: str) -> tuple[S3Lake, str]:
    """An S3 lake under prefix `lake/` whose raw/ notifications go to a fresh SQS queue."""
    sqs = boto3.client("sqs", endpoint_url=s3_server)
    queue_url = sqs.create_queue(QueueName=f"{s3_bucket}-raw-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    boto3.client("s3", endpoint_url=s3_server).put_bucket_notification_configuration(
        Bucket=s3_bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "lake/raw/"}]}},
                }
            ]
        },
    )
    return S3Lake(s3_bucket, "lake", client=make_s3_client()), queue_url


def fire_trigger(queue_url: str, tmp_path: Path) -> dict[str, Any]:
    """One firing of the SQS trigger, in a child process with its own AIRFLOW_HOME."""
    env = airflow_env(tmp_path / "airflow", "s3://unused")
    proc = subprocess.run(
        [sys.executable, str(TRIGGER_ONCE), queue_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    payload: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return payload


def drain(queue_url: str, tmp_path: Path, wanted: int) -> list[dict[str, Any]]:
    """Trigger payloads until `wanted` ObjectCreated records arrived (the first message
    on a new notification configuration is an s3:TestEvent)."""
    payloads = []
    created = 0
    for _ in range(5):
        payload = fire_trigger(queue_url, tmp_path)
        payloads.append(payload)
        for message in payload["message_batch"]:
            created += len(json.loads(message["Body"]).get("Records", []))
        if created >= wanted:
            return payloads
    raise AssertionError(f"only {created} ObjectCreated records arrived: {payloads}")


def test_s3_event_to_ingested_file_once(notified_lake: tuple[S3Lake, str], tmp_path: Path) -> None:
    lake, queue_url = notified_lake
    settings = PipelineSettings(lake_url=lake.url)
    lake.upload_file(RED_KEY, WINE_FILES[RED_KEY])
    # Outside raw/: the notification filter sends no event for it.
    lake.write_bytes("reports/wine_quality/x.txt", b"not an event")

    payloads = drain(queue_url, tmp_path, wanted=1)
    bodies = [json.loads(m["Body"]) for p in payloads for m in p["message_batch"]]
    # On the wire the key is URL-encoded ("=" -> %3D, "/" -> %2F); the DAG decodes it.
    record_keys = [r["s3"]["object"]["key"] for b in bodies for r in b.get("Records", [])]
    assert record_keys == ["lake%2Fraw%2Fwine_quality%2Fwine_type%3Dred%2Fwinequality-red.csv"]

    keys = raw_keys_from_trigger_payloads(payloads, settings)
    assert keys == [RED_KEY]

    outcome = ingest_one(keys[0], settings)
    assert outcome["status"] == "curated"
    assert outcome["rows_written"] == 1599
    assert not lake.exists(RED_KEY)

    # The same events delivered again (SQS is at-least-once): nothing left to do.
    assert raw_keys_from_trigger_payloads(payloads, settings) == []


def test_event_for_replaced_object_is_left_to_the_newer_event(
    notified_lake: tuple[S3Lake, str], tmp_path: Path
) -> None:
    lake, queue_url = notified_lake
    settings = PipelineSettings(lake_url=lake.url)
    lake.write_bytes("raw/wine_quality/a.csv", b"fixed acidity;quality\n7.4;5\n")
    first = drain(queue_url, tmp_path, wanted=1)
    lake.write_bytes("raw/wine_quality/a.csv", b"fixed acidity;quality\n7.8;6\n")
    second = drain(queue_url, tmp_path, wanted=1)

    # The old event's etag no longer matches the object: only the new event takes it,
    # and the pair of (duplicated) batches yields the key once.
    assert raw_keys_from_trigger_payloads(first, settings) == []
    assert raw_keys_from_trigger_payloads(first + second + second, settings) == [
        "raw/wine_quality/a.csv"
    ]
