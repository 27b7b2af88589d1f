"""Reading S3 ObjectCreated notifications (as SQS delivers them) into lake keys."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pipeline.s3_events import RawObjectEvent, lake_key_for, parse_s3_notifications

pytestmark = pytest.mark.unit


def record(
    key: str, *, bucket: str = "lake", etag: str = "abc", name: str = "ObjectCreated:Put"
) -> dict[str, Any]:
    return {
        "eventName": name,
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "eTag": etag, "size": 10}},
    }


def message(*records: dict[str, Any]) -> dict[str, Any]:
    return {"MessageId": "m", "Body": json.dumps({"Records": list(records)})}


def test_keys_are_url_decoded() -> None:
    events = parse_s3_notifications(
        [message(record("raw%2Fwine_quality%2Fwine_type%3Dred%2Fmy+file%281%29.csv"))]
    )
    assert [e.object_key for e in events] == ["raw/wine_quality/wine_type=red/my file(1).csv"]


def test_test_events_bad_bodies_and_deletes_are_ignored() -> None:
    test_event = {
        "Body": json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "lake"})
    }
    events = parse_s3_notifications(
        [
            test_event,
            {"Body": "not json"},
            message(record("raw/d/a.csv", name="ObjectRemoved:Delete")),
            message(record("raw/d/b.csv")),
        ]
    )
    assert [e.object_key for e in events] == ["raw/d/b.csv"]


def test_same_bucket_key_etag_is_returned_once_but_a_new_etag_is_new() -> None:
    events = parse_s3_notifications(
        [
            message(record("raw/d/a.csv", etag="1")),
            message(record("raw/d/a.csv", etag="1")),
            message(record("raw/d/a.csv", etag="2")),
        ]
    )
    assert [e.identity for e in events] == [
        ("lake", "raw/d/a.csv", "1"),
        ("lake", "raw/d/a.csv", "2"),
    ]


def test_sns_wrapped_notifications_are_read() -> None:
    inner = json.dumps({"Records": [record("raw/d/a.csv")]})
    events = parse_s3_notifications(
        [{"Body": json.dumps({"Type": "Notification", "Message": inner})}]
    )
    assert [e.object_key for e in events] == ["raw/d/a.csv"]


@pytest.mark.parametrize(
    ("object_key", "bucket", "prefix", "expected"),
    [
        ("lake/raw/wine_quality/a.csv", "b", "lake", "raw/wine_quality/a.csv"),
        ("raw/wine_quality/a.csv", "b", "", "raw/wine_quality/a.csv"),
        ("raw/wine_quality/a.csv", "other", "", None),
        ("other/raw/wine_quality/a.csv", "b", "lake", None),
        ("lake/curated/wine_quality/a.parquet", "b", "lake", None),
        ("lake/raw/a.csv", "b", "lake", None),
        ("lake/raw/wine_quality/../../models/x", "b", "lake", None),
        ("lake/raw/wine_quality/.hidden", "b", "lake", None),
    ],
)
def test_lake_key_for(object_key: str, bucket: str, prefix: str, expected: str | None) -> None:
    event = RawObjectEvent(bucket="b", object_key=object_key, etag=None, size=None)
    assert lake_key_for(event, bucket, prefix) == expected
