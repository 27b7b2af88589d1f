"""Loads the champion, follows champion.json, swaps models atomically (hot reload).

A request takes `store.current` once and uses that object to the end, so a swap never
changes a model under a running request; the swap itself is one reference assignment.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from pydantic import ValidationError

from model_api.backends import BackendUnavailableError, Predictor, build_predictor
from model_api.forest import ForestFormatError
from model_api.lake import IntegrityError, LakeError, LakeReader
from model_api.manifest import Champion, Manifest
from model_api.metrics import Metrics
from model_api.schema import RequestSchema, build_request_schema
from model_api.settings import ModelApiSettings

logger = logging.getLogger(__name__)


class ModelRejectedError(ValueError):
    """A version that will never load as it is (bad hash, bad format); not retried."""


@dataclass(frozen=True)
class LoadedModel:
    """One immutable, verified, warmed-up model version and everything derived from it."""

    manifest: Manifest
    predictor: Predictor
    schema: RequestSchema
    champion_etag: str
    loaded_at: datetime
    load_seconds: float

    @property
    def version(self) -> str:
        """The manifest's version string."""
        return self.manifest.version


def champion_key(dataset: str) -> str:
    """`models/<dataset>/champion.json`."""
    return f"models/{dataset}/champion.json"


def load_model(lake: LakeReader, settings: ModelApiSettings) -> LoadedModel:
    """Read champion.json -> manifest.json -> artifacts, verify each, warm up; no swap.

    Raises:
        LakeError: the lake could not be read (transient; retried at the next poll).
        ModelRejectedError: the version is malformed or its bytes do not match their hashes.
    """
    started = time.perf_counter()
    champion_obj = lake.read(champion_key(settings.dataset))
    try:
        champion = Champion.model_validate_json(champion_obj.data)
        if champion.dataset != settings.dataset:
            raise ModelRejectedError(
                f"champion.json names dataset {champion.dataset!r}, expected {settings.dataset!r}"
            )
        manifest_obj = lake.read(champion.manifest)
        if hashlib.sha256(manifest_obj.data).hexdigest() != champion.manifest_sha256.lower():
            raise IntegrityError(f"{champion.manifest}: sha256 does not match champion.json")
        manifest = Manifest.model_validate_json(manifest_obj.data)
        if manifest.version != champion.version or manifest.dataset != settings.dataset:
            raise ModelRejectedError(
                f"manifest is {manifest.dataset}/{manifest.version}, champion.json points "
                f"at {champion.dataset}/{champion.version}"
            )
        version_prefix = champion.manifest.rsplit("/", 1)[0] + "/"
        predictor = build_predictor(settings.backend, lake, manifest, version_prefix)
        schema = build_request_schema(manifest, settings.max_batch)
        warm_up(manifest, schema, predictor)
    except (IntegrityError, ValidationError, ForestFormatError, json.JSONDecodeError) as error:
        raise ModelRejectedError(str(error)) from error
    return LoadedModel(
        manifest,
        predictor,
        schema,
        champion_obj.etag,
        datetime.now(UTC),
        time.perf_counter() - started,
    )


def warm_up(manifest: Manifest, schema: RequestSchema, predictor: Predictor) -> None:
    """Validate the manifest's example with the new schema and predict it once.

    Raises:
        ModelRejectedError: the example does not validate or the prediction is not finite.
    """
    row = schema.row.model_validate(manifest.example).model_dump()
    values = predictor.predict_values([row])
    if values.shape[0] != 1 or not np.all(np.isfinite(values)):
        raise ModelRejectedError(f"warm-up prediction of the example gave {values!r}")


@dataclass
class ModelStore:
    """Holds the serving model and keeps it in step with champion.json."""

    lake: LakeReader
    settings: ModelApiSettings
    metrics: Metrics
    current: LoadedModel | None = None
    _rejected_etag: str | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def refresh(self) -> bool:
        """Load the champion if champion.json changed; True when a new model was swapped in.

        Never raises for lake or model problems: they are logged and counted, and the
        current model (if any) keeps serving.
        """
        async with self._lock:
            try:
                etag = await asyncio.to_thread(self.lake.etag, champion_key(self.settings.dataset))
            except LakeError as error:
                self.metrics.poll_errors.inc()
                logger.warning(
                    "cannot poll the lake %s: %s; keeping %s",
                    self.lake.url,
                    error,
                    self.current.version if self.current else "no model",
                )
                return False
            if etag is None:
                if self.current is None:
                    logger.info(
                        "no champion yet for %s in %s", self.settings.dataset, self.lake.url
                    )
                return False
            if (self.current and etag == self.current.champion_etag) or etag == self._rejected_etag:
                return False
            return await self._load(etag)

    async def _load(self, etag: str) -> bool:
        try:
            model = await asyncio.to_thread(load_model, self.lake, self.settings)
        except ModelRejectedError as error:
            self._rejected_etag = etag  # not retried until champion.json changes
            return self._failed("refused", error)
        except (LakeError, BackendUnavailableError) as error:
            return self._failed("could not load", error)
        except Exception as error:  # a bug must not kill the poll loop or the old model
            logger.exception("unexpected error while loading the champion")
            return self._failed("could not load", error)
        if self.current and model.version == self.current.version:
            # champion.json was rewritten for the same version: nothing to swap.
            self.current = model
            return False
        previous = self.current.version if self.current else None
        self.current = model  # the atomic swap
        self.metrics.reloads.labels(outcome="success").inc()
        if previous:
            self.metrics.model_info.labels(
                self.settings.dataset, previous, self.settings.backend.value
            ).set(0)
        self.metrics.model_info.labels(
            self.settings.dataset, model.version, self.settings.backend.value
        ).set(1)
        logger.info(
            "serving %s/%s (was %s), loaded in %.3f s with backend %s",
            self.settings.dataset,
            model.version,
            previous,
            model.load_seconds,
            self.settings.backend.value,
        )
        return True

    def _failed(self, what: str, error: BaseException) -> bool:
        self.metrics.reloads.labels(outcome="failure").inc()
        logger.error(
            "%s the champion of %s from %s: %s; still serving %s",
            what,
            self.settings.dataset,
            self.lake.url,
            error,
            self.current.version if self.current else "no model",
        )
        return False

    async def poll_forever(self) -> None:
        """Refresh every `poll_interval_seconds` until cancelled."""
        while True:
            await asyncio.sleep(self.settings.poll_interval_seconds)
            await self.refresh()


def describe(model: LoadedModel | None) -> dict[str, Any]:
    """A short status for logs and /ready."""
    if model is None:
        return {"ready": False}
    return {"ready": True, "version": model.version, "loaded_at": model.loaded_at.isoformat()}
