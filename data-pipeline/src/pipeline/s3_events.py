"""Read S3 `ObjectCreated` notifications (as delivered through SQS) into raw lake keys.

The event-driven ingest path: S3 sends a notification per new object under `raw/` to an
SQS queue; Airflow's SQS trigger hands the received messages over. This module turns those
messages into the lake keys to ingest, in plain Python so it is tested without Airflow.
Object keys in S3 event records are URL-encoded (`raw%2Fwine_quality%2Fa+b.csv`); the
first message on a new notification configuration is an `s3:TestEvent` with no records.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from pipeline import layout
from pipeline.lake.base import UnsafeKeyError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawObjectEvent:
    """One new object announced by S3: where it is and which version of its bytes."""

    bucket: str
    object_key: str
    etag: str | None
    size: int | None

    @property
    def identity(self) -> tuple[str, str, str | None]:
        """(bucket, key, etag): two events with the same identity describe the same bytes."""
        return (self.bucket, self.object_key, self.etag)


def _records_of(body: Any) -> list[Mapping[str, Any]]:
    # S3 -> SQS delivers the notification itself; S3 -> SNS -> SQS wraps it in "Message".
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except json.JSONDecodeError:
            logger.warning("ignoring an SQS message that is not JSON: %.200s", body)
            return []
    if not isinstance(body, Mapping):
        return []
    if body.get("Event") == "s3:TestEvent":
        logger.info("ignoring s3:TestEvent for bucket %s", body.get("Bucket"))
        return []
    if "Message" in body and "Records" not in body:
        return _records_of(body["Message"])
    records = body.get("Records", [])
    return [record for record in records if isinstance(record, Mapping)]


def parse_s3_notifications(messages: Iterable[Mapping[str, Any]]) -> list[RawObjectEvent]:
    """The `ObjectCreated` objects announced by SQS messages, de-duplicated, in arrival order.

    Args:
        messages: SQS messages as boto3/aiobotocore return them (each with a `Body`
            holding the S3 notification JSON), or already-decoded notification dicts.

    Test events, non-JSON bodies and event types other than `ObjectCreated:*` are skipped
    with a log line; the same (bucket, key, etag) announced twice is returned once.
    """
    seen: set[tuple[str, str, str | None]] = set()
    events: list[RawObjectEvent] = []
    for message in messages:
        body = message.get("Body", message)
        for record in _records_of(body):
            name = str(record.get("eventName", ""))
            if not name.startswith("ObjectCreated:"):
                logger.info("ignoring S3 event %s", name or "without a name")
                continue
            s3 = record.get("s3", {})
            obj = s3.get("object", {})
            event = RawObjectEvent(
                bucket=str(s3.get("bucket", {}).get("name", "")),
                object_key=unquote_plus(str(obj.get("key", ""))),
                etag=obj.get("eTag") or obj.get("etag"),
                size=obj.get("size"),
            )
            if not event.bucket or not event.object_key:
                logger.warning("ignoring an S3 event record without bucket or key: %s", record)
                continue
            if event.identity in seen:
                continue
            seen.add(event.identity)
            events.append(event)
    return events


def lake_key_for(event: RawObjectEvent, bucket: str, prefix: str) -> str | None:
    """The lake key (`raw/<dataset>/...`) of an event's object in the lake `s3://bucket/prefix`.

    None when the object belongs to another bucket, lies outside the lake's prefix, is not
    under `raw/<dataset>/`, or has an unsafe key: such events are not the lake's to ingest.
    """
    if event.bucket != bucket:
        return None
    prefix = prefix.strip("/")
    key = event.object_key
    if prefix:
        if not key.startswith(prefix + "/"):
            return None
        key = key[len(prefix) + 1 :]
    try:
        layout.dataset_of_raw_key(key)
    except (ValueError, UnsafeKeyError):
        return None
    if layout.file_name(key).startswith(".") or key.endswith("/"):
        return None
    return key
