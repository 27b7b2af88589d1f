"""The model registry in the lake: versions, the champion pointer, promotions, the runs log.

Files per docs/MODEL_FORMAT.md. A version is complete once its manifest.json exists (the
manifest is written after every artifact). champion.json is one atomic object write.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from pipeline.lake import Lake, join_key
from pipeline.layout import champion_key, model_version_prefix, models_prefix
from pipeline.manifest import utc_stamp
from pipeline.model_export import load_skops

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
RUNS_LOG = "runs.jsonl"
# Writer-side history of champion changes; lets repeated rollbacks walk back in time.
CHAMPION_HISTORY = "champion_history.jsonl"


class VersionNotFoundError(LookupError):
    """The requested model version (or a champion to roll back from) does not exist."""


class TamperedArtifactError(ValueError):
    """An artifact's bytes do not match the sha256 its manifest records."""


def manifest_key(dataset: str, version: str) -> str:
    """`models/<dataset>/<version>/manifest.json`."""
    return join_key(model_version_prefix(dataset, version), MANIFEST)


def runs_key(dataset: str) -> str:
    """`models/<dataset>/runs.jsonl`."""
    return join_key(models_prefix(dataset), RUNS_LOG)


def _history_key(dataset: str) -> str:
    return join_key(models_prefix(dataset), CHAMPION_HISTORY)


def _read_jsonl(lake: Lake, key: str) -> list[dict[str, Any]]:
    if not lake.exists(key):
        return []
    lines = lake.read_bytes(key).decode("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _append_jsonl(lake: Lake, key: str, record: dict[str, Any]) -> None:
    # Object stores cannot append: rewrite the whole (small) log atomically.
    existing = lake.read_bytes(key) if lake.exists(key) else b""
    if existing and not existing.endswith(b"\n"):
        existing += b"\n"
    line = json.dumps(record, sort_keys=True, default=str).encode() + b"\n"
    lake.write_bytes(key, existing + line)


def write_version(
    lake: Lake, dataset: str, version: str, artifacts: dict[str, bytes], manifest: dict[str, Any]
) -> str:
    """Store a version's artifacts, then its manifest (last: it marks the version complete).

    Returns the manifest's key.
    """
    prefix = model_version_prefix(dataset, version)
    for name, data in artifacts.items():
        lake.write_bytes(join_key(prefix, name), data)
    key = manifest_key(dataset, version)
    lake.write_bytes(key, json.dumps(manifest, indent=2, sort_keys=False).encode())
    logger.info("registered %s version %s at %s", dataset, version, key)
    return key


def read_manifest(lake: Lake, dataset: str, version: str) -> dict[str, Any]:
    """A version's manifest; VersionNotFoundError when the version does not exist."""
    key = manifest_key(dataset, version)
    if not lake.exists(key):
        known = ", ".join(v["version"] for v in list_versions(lake, dataset)) or "none"
        raise VersionNotFoundError(
            f"no model version {version!r} for dataset {dataset!r} (known versions: {known})"
        )
    manifest: dict[str, Any] = json.loads(lake.read_bytes(key))
    return manifest


def get_champion(lake: Lake, dataset: str) -> dict[str, Any] | None:
    """champion.json of the dataset, or None before the first promotion."""
    key = champion_key(dataset)
    if not lake.exists(key):
        return None
    champion: dict[str, Any] = json.loads(lake.read_bytes(key))
    return champion


def list_versions(lake: Lake, dataset: str) -> list[dict[str, Any]]:
    """Every complete version, oldest first: version, created_at, metrics, champion flag."""
    champion = get_champion(lake, dataset)
    current = champion["version"] if champion else None
    versions: list[dict[str, Any]] = []
    for info in lake.list(models_prefix(dataset)):
        parts = info.key.split("/")
        if len(parts) != 4 or parts[3] != MANIFEST or not parts[2].startswith("v"):
            continue
        manifest = json.loads(lake.read_bytes(info.key))
        versions.append(
            {
                "version": manifest["version"],
                "created_at": manifest["created_at"],
                "champion": manifest["version"] == current,
                "metrics": manifest.get("metrics", {}),
                "params": manifest.get("params", {}),
                "training_rows": manifest.get("training_data", {}).get("rows"),
                "manifest": info.key,
            }
        )
    return sorted(versions, key=lambda item: str(item["version"]))


def read_runs(lake: Lake, dataset: str) -> list[dict[str, Any]]:
    """The training runs log, oldest first."""
    return _read_jsonl(lake, runs_key(dataset))


def append_run(lake: Lake, dataset: str, record: dict[str, Any]) -> None:
    """Add one training run to `models/<dataset>/runs.jsonl`."""
    _append_jsonl(lake, runs_key(dataset), record)


def promote(lake: Lake, dataset: str, version: str, reason: str) -> dict[str, Any]:
    """Make `version` the champion (atomic replace of champion.json); returns the pointer.

    `previous` is the champion being replaced (what a rollback returns to).
    """
    read_manifest(lake, dataset, version)  # raises, naming the known versions
    manifest_bytes = lake.read_bytes(manifest_key(dataset, version))
    current = get_champion(lake, dataset)
    previous = current["version"] if current else None
    if previous == version:
        previous = current.get("previous") if current else None
    return _point_champion(lake, dataset, version, manifest_bytes, reason, previous)


def _point_champion(
    lake: Lake,
    dataset: str,
    version: str,
    manifest_bytes: bytes,
    reason: str,
    previous: str | None,
) -> dict[str, Any]:
    pointer = {
        "dataset": dataset,
        "version": version,
        "manifest": manifest_key(dataset, version),
        "manifest_sha256": hashlib.sha256(manifest_bytes).hexdigest(),
        "promoted_at": utc_stamp(datetime.now(UTC)),
        "reason": reason,
        "previous": previous,
    }
    lake.write_bytes(champion_key(dataset), json.dumps(pointer, indent=2).encode())
    _append_jsonl(lake, _history_key(dataset), pointer)
    logger.info("champion of %s is now %s (%s)", dataset, version, reason)
    return pointer


def rollback(lake: Lake, dataset: str, version: str | None = None) -> dict[str, Any]:
    """Point the champion back at `version`, or at the current champion's `previous`.

    Rolling back to a version that was champion before restores the `previous` it had
    then, so repeated rollbacks keep walking back in time.
    """
    current = get_champion(lake, dataset)
    if current is None:
        raise VersionNotFoundError(f"dataset {dataset!r} has no champion to roll back from")
    target = version or current.get("previous")
    if not target:
        raise VersionNotFoundError(
            f"champion {current['version']} of {dataset!r} has no previous version; "
            "name one with --version"
        )
    read_manifest(lake, dataset, target)
    earlier = [h for h in _read_jsonl(lake, _history_key(dataset)) if h["version"] == target]
    previous = earlier[-1].get("previous") if earlier else current["version"]
    if previous == target:
        previous = None
    manifest_bytes = lake.read_bytes(manifest_key(dataset, target))
    reason = f"rollback from {current['version']}"
    return _point_champion(lake, dataset, target, manifest_bytes, reason, previous)


def verified_artifact(lake: Lake, dataset: str, version: str, name: str) -> bytes:
    """An artifact's bytes ("forest", "skops", "onnx") after checking its sha256.

    Raises TamperedArtifactError when the bytes differ from the manifest's record.
    """
    manifest = read_manifest(lake, dataset, version)
    entry = manifest["artifacts"][name]
    key = join_key(model_version_prefix(dataset, version), entry["path"])
    data = lake.read_bytes(key)
    actual = hashlib.sha256(data).hexdigest()
    if actual != entry["sha256"]:
        raise TamperedArtifactError(
            f"refusing {key}: its sha256 is {actual}, the manifest records {entry['sha256']} "
            "(the file was changed after registration)"
        )
    return data


def load_reference_model(lake: Lake, dataset: str, version: str) -> Any:
    """The version's fitted sklearn Pipeline from model.skops (sha256 checked first).

    Only the types in `pipeline.model_export.TRUSTED_TYPES` are allowed.
    """
    return load_skops(verified_artifact(lake, dataset, version, "skops"))
