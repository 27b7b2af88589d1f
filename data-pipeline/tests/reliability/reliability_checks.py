"""What "nothing lost, nothing half-written" means, as assertions on a lake.

`originals` everywhere maps each raw key a test dropped to the exact bytes it dropped.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections import Counter
from dataclasses import dataclass, field

import pyarrow.parquet as pq
import pytest

from pipeline import layout
from pipeline.lake import Lake, ObjectNotFoundError

KNOWN_PREFIXES = ("raw/", "archive/", "quarantine/", "curated/", "reports/", "models/", "_state/")


def sha(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def data_keys(lake: Lake, prefix: str) -> list[str]:
    """Keys under `prefix` that hold a raw file's bytes (not its `.error.json`)."""
    return [info.key for info in lake.list(prefix) if not info.key.endswith(layout.ERROR_SUFFIX)]


def curated_parts(lake: Lake) -> dict[str, int]:
    """Each curated Parquet part's source sha256 -> its row count; fails on a broken part."""
    parts: dict[str, int] = {}
    for info in lake.list("curated/"):
        try:
            data = lake.read_bytes(info.key)
        except ObjectNotFoundError:
            continue
        parquet = pq.ParquetFile(io.BytesIO(data))  # raises on a truncated/partial file
        table = parquet.read()
        metadata = parquet.schema_arrow.metadata or {}
        source = json.loads(metadata[b"pipeline.source"])
        assert source["sha256"] not in parts, f"two curated parts for one raw file: {info.key}"
        dataset = info.key.split("/")[1]
        identity = layout.batch_identity(source["sha256"], source["raw_key"])
        assert info.key == layout.curated_key(dataset, identity), info.key
        parts[source["sha256"]] = table.num_rows
    return parts


def assert_nothing_partial(
    lake: Lake, originals: dict[str, bytes], expected_rows: dict[str, int]
) -> None:
    """Every visible object is whole: copies byte-identical, curated parts complete.

    Holds at every instant, also halfway through a failed or killed run.
    """
    wanted = {sha(data) for data in originals.values()}
    for prefix in ("archive/", "quarantine/"):
        for key in data_keys(lake, prefix):
            try:
                digest = lake.sha256(key)
            except ObjectNotFoundError:
                continue
            assert digest in wanted, f"{key} is not byte-identical to any raw file dropped"
    for digest, rows in curated_parts(lake).items():
        assert digest in wanted, f"curated part from unknown bytes {digest[:12]}"
        if digest in expected_rows:
            assert rows == expected_rows[digest], (
                f"curated part of {digest[:12]} has {rows} rows, expected {expected_rows[digest]}"
            )
    for info in lake.list(""):
        assert info.key.startswith(KNOWN_PREFIXES), f"object outside the layout: {info.key}"
        assert "/.tmp-" not in f"/{info.key}", f"temporary object visible: {info.key}"


def assert_nothing_lost(lake: Lake, originals: dict[str, bytes]) -> None:
    """Each dropped file's bytes are still somewhere: its raw key, archive/ or quarantine/."""
    stored = Counter(
        lake.sha256(key) for p in ("archive/", "quarantine/") for key in data_keys(lake, p)
    )
    for raw_key, data in originals.items():
        if lake.exists(raw_key) and lake.sha256(raw_key) == sha(data):
            continue
        assert stored[sha(data)] >= 1, f"{raw_key} is gone: not in raw/, archive/ or quarantine/"


def assert_converged(
    lake: Lake,
    originals: dict[str, bytes],
    *,
    curated: set[str],
    expected_rows: dict[str, int] | None = None,
) -> None:
    """The end state: raw/ empty, each file in exactly one of archive/ or quarantine/.

    Args:
        lake: the lake after the (re-)runs.
        originals: raw key -> bytes dropped.
        curated: raw keys expected curated; every other one is expected quarantined.
        expected_rows: raw sha256 -> rows its curated part must have.
    """
    expected_rows = expected_rows or {}
    assert_nothing_partial(lake, originals, expected_rows)
    leftover = [key for key in originals if lake.exists(key)]
    assert not leftover, f"still in raw/: {leftover}"
    archived = Counter(lake.sha256(k) for k in data_keys(lake, "archive/"))
    quarantined = Counter(lake.sha256(k) for k in data_keys(lake, "quarantine/"))
    wanted_archive = Counter(sha(originals[k]) for k in originals if k in curated)
    wanted_quarantine = Counter(sha(originals[k]) for k in originals if k not in curated)
    assert archived == wanted_archive, "archive/ does not hold exactly the curated raw files"
    assert quarantined == wanted_quarantine, "quarantine/ does not hold exactly the rejected files"
    for key in data_keys(lake, "quarantine/"):
        error = json.loads(lake.read_bytes(layout.error_key(key)))
        assert error["reason"].strip(), f"{key} quarantined without a reason"
    parts = curated_parts(lake)
    assert set(parts) == {sha(originals[k]) for k in curated}, "curated/ parts do not match"
    for digest, rows in expected_rows.items():
        assert parts.get(digest) == rows, f"curated part of {digest[:12]}: {parts.get(digest)}"
    for key, data in originals.items():
        marker = json.loads(
            lake.read_bytes(
                layout.processed_marker_key(
                    layout.dataset_of_raw_key(key), layout.batch_identity(sha(data), key)
                )
            )
        )
        assert marker["status"] == ("curated" if key in curated else "quarantined"), key


@dataclass
class LakeWatcher:
    """Reads the lake in a loop from the side while a run goes on; records what it saw wrong.

    Proves no half-written object is ever visible, not only at the end.
    """

    lake: Lake
    originals: dict[str, bytes]
    expected_rows: dict[str, int]
    problems: list[str] = field(default_factory=list)
    rounds: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                assert_nothing_partial(self.lake, self.originals, self.expected_rows)
            except AssertionError as error:
                self.problems.append(str(error))
            except Exception as error:
                self.problems.append(f"{type(error).__name__}: {error}")
            self.rounds += 1
            self._stop.wait(0.2)

    def __enter__(self) -> LakeWatcher:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


# Long variants: `make soak` runs them (`-m soak`); `make test` leaves them out (`-m "not soak"`).
SOAK = [pytest.mark.soak]
