"""The latest drift status for GET /model, read from the lake in the background and cached.

data-pipeline's drift check writes `reports/<dataset>/drift/latest.json` after every check.
A background task re-reads it every `drift_refresh_seconds`; the route only returns the
cached copy, so a slow or absent lake never touches a request's latency.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from model_api.lake import LakeError, LakeReader, ObjectMissingError
from model_api.settings import ModelApiSettings

logger = logging.getLogger(__name__)

# What GET /model shows of latest.json (the pipeline may add fields; these are the contract).
FIELDS = (
    "checked_at",
    "batch_id",
    "reference_version",
    "drifted",
    "drifted_features",
    "summary",
    "report",
)


def latest_drift_key(dataset: str) -> str:
    """`reports/<dataset>/drift/latest.json`."""
    return f"reports/{dataset}/drift/latest.json"


def parse_latest(data: bytes) -> dict[str, Any]:
    """The status fields of a latest.json document.

    Raises:
        ValueError: not JSON, not an object, or without a boolean `drifted`.
    """
    document = json.loads(data)
    if not isinstance(document, dict) or not isinstance(document.get("drifted"), bool):
        raise ValueError("latest.json is not an object with a boolean 'drifted'")
    status = {name: document.get(name) for name in FIELDS}
    status["drifted_features"] = [str(f) for f in document.get("drifted_features") or []]
    return status


class DriftStatus:
    """The cached latest drift status of one dataset (None: no report yet)."""

    def __init__(self, lake: LakeReader, settings: ModelApiSettings) -> None:
        self.lake = lake
        self.key = latest_drift_key(settings.dataset)
        self.interval = settings.drift_refresh_seconds
        self.current: dict[str, Any] | None = None

    async def refresh(self) -> None:
        """Re-read latest.json; keeps the last status when the lake cannot be reached."""
        try:
            obj = await asyncio.to_thread(self.lake.read, self.key)
        except ObjectMissingError:
            self.current = None
            return
        except LakeError as error:
            logger.warning("cannot read %s: %s; keeping the last drift status", self.key, error)
            return
        try:
            self.current = parse_latest(obj.data)
        except ValueError as error:
            logger.warning("ignoring %s: %s", self.key, error)
            self.current = None

    async def poll_forever(self) -> None:
        """Refresh every `drift_refresh_seconds` until cancelled."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.refresh()
            except Exception:  # a bug must not end the refreshes for the life of the process
                logger.exception("unexpected error while reading the drift status")
