"""Airflow's SQS trigger, receiving with the pinned boto3 instead of aiobotocore.

The Amazon provider's `SqsSensorTrigger` (what the common-messaging `MessageQueueTrigger`
dispatches to for SQS) polls through aiobotocore; every aiobotocore release pins botocore
to a narrow range older than the boto3 1.44 line the lake client uses, so installing it
would downgrade boto3 for the whole component. This subclass keeps the trigger's
arguments, serialisation and event payload (`{"status": "success", "message_batch":
[...]}`) and only swaps the transport: boto3's long poll, run in a worker thread so the
triggerer's event loop never blocks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from airflow.providers.amazon.aws.triggers.sqs import SqsSensorTrigger
from airflow.triggers.base import TriggerEvent

logger = logging.getLogger(__name__)


class BotoSqsTrigger(SqsSensorTrigger):
    """Fire once a batch of SQS messages arrives; delete them once received.

    Same arguments as `SqsSensorTrigger`; credentials, region and endpoint come from
    boto3's environment (`AWS_*`), as for the lake itself.
    """

    def _receive_batch(self) -> list[dict[str, Any]]:
        import boto3

        client = boto3.client("sqs", region_name=self.region_name)
        messages: list[dict[str, Any]] = []
        for _ in range(self.num_batches):
            kwargs: dict[str, Any] = {
                "QueueUrl": self.sqs_queue,
                "MaxNumberOfMessages": self.max_messages,
                "WaitTimeSeconds": self.wait_time_seconds,
            }
            if self.visibility_timeout is not None:
                kwargs["VisibilityTimeout"] = self.visibility_timeout
            batch = client.receive_message(**kwargs).get("Messages", [])
            if not batch:
                continue
            messages.extend(batch)
            if self.delete_message_on_reception:
                entries = [
                    {"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in batch
                ]
                response = client.delete_message_batch(QueueUrl=self.sqs_queue, Entries=entries)
                if response.get("Failed"):
                    raise RuntimeError(f"could not delete SQS messages: {response['Failed']}")
        return messages

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll the queue until messages arrive, then yield them as one event."""
        while True:
            messages = await asyncio.to_thread(self._receive_batch)
            if messages:
                logger.info("received %d message(s) from %s", len(messages), self.sqs_queue)
                yield TriggerEvent(  # type: ignore[no-untyped-call]
                    {"status": "success", "message_batch": messages}
                )
                return
            await asyncio.sleep(self.waiter_delay)
