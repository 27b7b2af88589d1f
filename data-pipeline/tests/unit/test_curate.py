"""curate.py's chunk sizing, and row_hashes.py: duplicate counting in bounded memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.curate import chunk_rows_for
from pipeline.row_hashes import (
    DuplicateCounter,
    HashSpill,
    SeenHashes,
    _partitions,
    row_hashes,
)
from pipeline.settings import PipelineSettings


def _hashes(rng: np.random.Generator, rows: int, distinct: int) -> np.ndarray:
    # Spread over the whole 64-bit range so every spill partition gets rows.
    values = rng.integers(0, distinct, rows).astype(np.uint64)
    return values * np.uint64(0x9E3779B97F4A7C15)


def _true_repeats(blocks: list[np.ndarray]) -> int:
    return int(pd.Series(np.concatenate(blocks)).duplicated().sum())


def test_spilled_hashes_count_the_same_repeats_as_in_memory(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    # 13 blocks: six spills of two blocks on the spill thread, one block left in memory.
    blocks = [_hashes(rng, 5_000, 20_000) for _ in range(13)]
    spill = HashSpill(tmp_path / "spill", memory_rows=7_000)
    for block in blocks:
        spill.add(block)
    spill.join()
    assert spill.spilled, "the test must exercise the on-disk path"
    assert len(list((tmp_path / "spill").glob("*.u64"))) > 1
    assert spill.buffered_rows == 5_000
    on_disk = sum(path.stat().st_size for path in (tmp_path / "spill").glob("*.u64"))
    assert on_disk == 12 * 5_000 * 8
    assert spill.count_repeats() == _true_repeats(blocks) > 0


def test_partitions_hold_each_hash_once_by_its_top_bits() -> None:
    rng = np.random.default_rng(5)
    hashes = _hashes(rng, 20_000, 15_000)
    parts = _partitions(hashes.copy(), 64)
    assert len(parts) == 64
    assert sorted(np.concatenate(parts).tolist()) == sorted(hashes.tolist())
    for index, part in enumerate(parts):
        assert len(part) > 0
        assert (part >> np.uint64(58) == index).all()  # equal hashes share a partition
        assert (part[1:] >= part[:-1]).all()  # slices of one sorted array


def test_a_failed_spill_fails_the_count_every_time(tmp_path: Path) -> None:
    (tmp_path / "not-a-folder").write_bytes(b"")
    counter = DuplicateCounter(False, tmp_path / "not-a-folder" / "spill")
    counter.spill.memory_rows = 10
    counter.take(np.arange(20, dtype=np.uint64))
    counter.close()  # waits for the spill thread; its error is for whoever counts
    for _ in range(2):
        with pytest.raises(OSError):
            counter.duplicates()


def test_hashes_under_the_limit_stay_in_memory(tmp_path: Path) -> None:
    spill = HashSpill(tmp_path / "spill", memory_rows=1_000_000)
    block = np.array([1, 2, 2, 3, 3, 3], dtype=np.uint64)
    spill.add(block)
    assert spill.count_repeats() == 3
    assert not (tmp_path / "spill").exists()


def test_seen_hashes_answer_membership_across_merged_runs() -> None:
    seen = SeenHashes()
    added: set[int] = set()
    rng = np.random.default_rng(5)
    for _ in range(40):
        block = np.unique(_hashes(rng, 300, 10**9))
        fresh = block[~seen.contains(block)]
        seen.add(fresh)
        added.update(fresh.tolist())
    assert len(seen.runs) < 10, "runs are merged as they grow"
    probe = _hashes(rng, 2_000, 10**9)
    expected = np.array([int(value) in added for value in probe])
    assert (seen.contains(probe) == expected).all()
    assert seen.contains(np.array(sorted(added)[:50], dtype=np.uint64)).all()


@pytest.mark.parametrize("drop", [False, True])
def test_duplicate_counter_matches_pandas_over_many_chunks(tmp_path: Path, drop: bool) -> None:
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(
        {"a": rng.integers(0, 30, 20_000), "b": rng.choice(["x", "y", "z"], 20_000)}
    )
    counter = DuplicateCounter(drop, tmp_path / "hashes")
    counter.spill.memory_rows = 3_000
    kept = []
    for start in range(0, 20_000, 2_500):
        chunk = frame.iloc[start : start + 2_500]
        keep = counter.take(row_hashes(chunk))
        kept.append(chunk if keep is None else chunk[keep])
    assert counter.duplicates() == int(frame.duplicated().sum())
    if drop:
        assert pd.concat(kept).equals(frame.drop_duplicates())


def test_chunks_are_shorter_for_wide_files() -> None:
    """Memory follows cells, not rows: a wide file gets proportionally shorter chunks."""
    settings = PipelineSettings(chunk_rows=250_000, chunk_cells=3_000_000)
    assert chunk_rows_for(12, settings) == 250_000
    assert chunk_rows_for(3_000, settings) == 1_000
    assert chunk_rows_for(10_000, settings) * 10_000 <= 3_000_000


def test_row_hashes_treat_equal_values_as_equal_like_pandas() -> None:
    """-0.0 is 0.0 and every NaN is one NaN, in every column type the pipeline writes."""
    nan_with_payload = np.frombuffer(np.uint64(0x7FF8000000000001).tobytes(), np.float64)[0]
    frame = pd.DataFrame(
        {
            "f": [0.0, -0.0, np.nan, nan_with_payload, 1.5, 1.5, 2.5],
            "i": np.array([1, 1, 2, 2, 3, 3, 3], dtype=np.int64),
            "n": pd.array([1, 1, None, None, 5, 5, 5], dtype="Int64"),
            "s": pd.array(["a", "a", None, None, "b", "b", "c"], dtype="string"),
            "b": pd.array([True, True, None, None, False, False, False], dtype="boolean"),
        }
    )
    hashes = pd.Series(row_hashes(frame))
    assert hashes.duplicated().tolist() == frame.duplicated().tolist()
    assert hashes.duplicated().sum() == 3
    assert len(set(row_hashes(frame.iloc[[0, 2, 4, 6]]))) == 4
