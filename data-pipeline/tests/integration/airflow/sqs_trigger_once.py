"""Run the DAG's SQS trigger (as the triggerer would for the AssetWatcher) until it fires.

    python sqs_trigger_once.py QUEUE_URL

Prints the trigger event's payload as one JSON line: the payload the triggerer stores on
the `raw_object_created` Asset event, which the event-driven ingest DAG then reads.
"""

from __future__ import annotations

import asyncio
import json
import sys


async def fire_once(queue_url: str) -> dict[str, object]:
    from pipeline.sqs_trigger import BotoSqsTrigger

    # The same arguments the DAG file's AssetWatcher uses (see dags/ingest.py).
    trigger = BotoSqsTrigger(
        sqs_queue=queue_url,
        aws_conn_id=None,
        max_messages=10,
        wait_time_seconds=1,
        waiter_delay=1,
    )
    async for event in trigger.run():
        return dict(event.payload)
    raise RuntimeError("the trigger ended without an event")


if __name__ == "__main__":
    payload = asyncio.run(asyncio.wait_for(fire_once(sys.argv[1]), timeout=60))
    print(json.dumps(payload))
