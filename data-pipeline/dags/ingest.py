"""
### Ingest: every new file under `raw/<dataset>/` becomes curated Parquet

Runs every minute (one run at a time) and looks for files waiting under the lake's
`raw/<dataset>/` prefix for each dataset declared in `data-pipeline/datasets/`, on a
`file://` or an `s3://` lake alike (`LAKE_URL`).

* **find_new_files** lists the waiting files (a local file still being copied in is left
  for the next run).
* **ingest_file** is mapped: one task instance per file, named after the file. It
  detects the format, cleans, validates against the dataset declaration and writes
  curated Parquet; the raw file is then archived byte-identical under `archive/`, or
  quarantined under `quarantine/` with a `.error.json` saying why. Bad data never fails
  the task; storage errors do, and are retried with exponential backoff.
* **announce_curated_data** emits the `curated_<dataset>` Asset event, only for the
  datasets that got new curated rows: that is what starts the `train` DAG.
* **fail_run_if_a_file_failed** turns the run red when any file task failed for good.

Each file is processed exactly once: runs never overlap (`max_active_runs=1`) and every
step is idempotent by the raw bytes' sha256, so a retried or duplicated task converges
to the same lake. Run the same processing by hand: `pipeline ingest FILE --dataset NAME`.

This file also defines `ingest_from_s3_events`, the event-driven twin for AWS, when
`PIPELINE_RAW_EVENTS_QUEUE_URL` is set.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from airflow.sdk import (
    Asset,
    AssetAlias,
    AssetWatcher,
    ExceptionRetryPolicy,
    RetryAction,
    RetryRule,
    TriggerRule,
    dag,
    task,
)

from pipeline.orchestration import CURATED_ALIAS_NAME
from pipeline.settings import PipelineSettings

log = logging.getLogger(__name__)

SETTINGS = PipelineSettings()
CURATED_DATA = AssetAlias(CURATED_ALIAS_NAME)

# Storage errors (disk, network, S3 5xx/throttling) are worth retrying; anything else is
# a bug that retrying cannot fix, so it fails at once with its traceback in the log.
STORAGE_ERRORS_RETRY = ExceptionRetryPolicy(
    rules=[
        RetryRule(
            exception=[
                OSError,
                "botocore.exceptions.BotoCoreError",
                "botocore.exceptions.ClientError",
            ],
            action=RetryAction.RETRY,
            reason="storage error: retrying with exponential backoff",
        )
    ],
    default=RetryAction.FAIL,
)

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "data-platform",
    "retries": 4,
    "retry_delay": timedelta(seconds=15),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(minutes=10),
}


@task
def find_new_files() -> list[str]:
    """List the raw files waiting for each declared dataset."""
    from pipeline.ingest import declared_datasets
    from pipeline.orchestration import find_settled_raw_keys, open_settings_lake

    datasets = declared_datasets(SETTINGS)
    keys = find_settled_raw_keys(open_settings_lake(SETTINGS), datasets)
    log.info("%d new raw files for datasets %s in %s", len(keys), datasets, SETTINGS.lake_url)
    for key in keys:
        log.info("new: %s", key)
    return keys


@task(
    map_index_template="{{ raw_file }}",
    doc_md="One raw file: detect its format, clean, validate, curate; archive or quarantine it.",
    retry_policy=STORAGE_ERRORS_RETRY,
    # Large files are streamed in chunks; an hour covers multi-GB CSVs on one worker.
    execution_timeout=timedelta(hours=1),
)
def ingest_file(raw_key: str) -> dict[str, Any]:
    """Sniff, clean, validate and curate one raw file; archive or quarantine it."""
    from airflow.sdk import get_current_context

    from pipeline.orchestration import ingest_one

    # Names the mapped task instance after its file in the UI (map_index_template).
    get_current_context()["raw_file"] = raw_key.removeprefix("raw/")  # type: ignore[typeddict-unknown-key]
    return ingest_one(raw_key, SETTINGS)


@task(outlets=[CURATED_DATA], trigger_rule=TriggerRule.ALL_DONE)
def announce_curated_data(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """Emit one curated-data Asset event per dataset that got new rows in this run."""
    from airflow.sdk import get_current_context

    from pipeline.orchestration import curated_asset_name, curated_asset_uri, curated_updates

    updates = curated_updates(outcomes)
    events = get_current_context()["outlet_events"][CURATED_DATA]
    for dataset, extra in updates.items():
        asset = Asset(name=curated_asset_name(dataset), uri=curated_asset_uri(dataset))
        events.add(asset, extra=extra)
        log.info("%s: %d new curated rows from %s", dataset, extra["rows"], extra["files"])
    if not updates:
        log.info("no new curated data in this run; no Asset event")
    return updates


@task(trigger_rule=TriggerRule.ONE_FAILED, retries=0)
def fail_run_if_a_file_failed() -> None:
    """Mark the run failed when a file task failed after its retries (see its log)."""
    raise RuntimeError("at least one ingest_file task failed after its retries; see its log")


@dag(
    dag_id="ingest",
    schedule=SETTINGS.ingest_schedule,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    dagrun_timeout=timedelta(hours=2),
    tags=["data-pipeline", "ingest"],
    doc_md=__doc__,
)
def ingest() -> None:
    """Find new raw files, ingest one task per file, announce the curated data."""
    files = ingest_file.expand(raw_key=find_new_files())
    announce_curated_data(files)  # type: ignore[arg-type]
    files >> fail_run_if_a_file_failed()


ingest_dag = ingest()


EVENTS_DOC = """
### Ingest from S3 events: the event-driven twin of `ingest` (AWS)

Defined only when `PIPELINE_RAW_EVENTS_QUEUE_URL` names an SQS queue that receives the
lake bucket's S3 `ObjectCreated` notifications for `raw/` (infrastructure/terraform sets
that up). The triggerer watches the queue with the Amazon provider's SQS trigger (an
`AssetWatcher` on the `raw_object_created` Asset): each batch of messages starts a run at
once, with no polling delay and no listing of the bucket.

* **keys_from_events** reads the object keys from the event payload (URL-decoded;
  `s3:TestEvent` and events for other buckets or prefixes are ignored), drops objects
  already processed, and de-duplicates on (bucket, key, etag).
* **ingest_file**, **announce_curated_data**, **fail_run_if_a_file_failed**: the same
  steps as in `ingest`.

A message delivered twice, or a file also found by the polling `ingest` DAG, is processed
once (idempotent on (bucket, key, etag) and on the bytes' sha256). With events on, set
`PIPELINE_INGEST_SCHEDULE=@hourly` so `ingest` becomes a sweep for anything an event missed.
"""


def raw_object_created(queue_url: str) -> Asset:
    """The Asset whose events are the S3 notifications arriving on the SQS queue."""
    # The Amazon provider's SqsSensorTrigger with boto3 as transport (its own needs
    # aiobotocore, which would downgrade boto3; see pipeline/sqs_trigger.py). It takes any
    # queue URL (AWS, MinIO or moto endpoints); aws_conn_id=None: boto3's environment.
    from pipeline.sqs_trigger import BotoSqsTrigger

    trigger = BotoSqsTrigger(
        sqs_queue=queue_url,
        aws_conn_id=None,
        max_messages=10,
        wait_time_seconds=20,
        waiter_delay=5,
    )
    return Asset(
        name="raw_object_created",
        uri="lake://raw",
        watchers=[AssetWatcher(name="raw_object_created_sqs", trigger=trigger)],
    )


@task
def keys_from_events() -> list[str]:
    """Turn the triggering S3 notifications into the raw lake keys still waiting."""
    from airflow.sdk import get_current_context

    from pipeline.orchestration import raw_keys_from_trigger_payloads

    events = get_current_context()["triggering_asset_events"]
    payloads = [event.extra.get("payload") or {} for key in events for event in events[key]]
    return raw_keys_from_trigger_payloads(payloads, SETTINGS)


if SETTINGS.raw_events_queue_url:

    @dag(
        dag_id="ingest_from_s3_events",
        schedule=[raw_object_created(SETTINGS.raw_events_queue_url)],
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        dagrun_timeout=timedelta(hours=2),
        tags=["data-pipeline", "ingest", "aws"],
        doc_md=EVENTS_DOC,
    )
    def ingest_from_s3_events() -> None:
        """Ingest the objects announced by S3 notifications."""
        files = ingest_file.expand(raw_key=keys_from_events())
        announce_curated_data(files)  # type: ignore[arg-type]
        files >> fail_run_if_a_file_failed()

    events_dag = ingest_from_s3_events()

if __name__ == "__main__":
    ingest_dag.test()
