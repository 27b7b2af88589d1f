"""curate.py's chunk sizing, and row_hashes.py: duplicate counting in bounded memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.curate import chunk_rows_for
from pipeline.row_hashes import DuplicateCounter, HashSpill, SeenHashes
from pipeline.settings import PipelineSettings


def _hashes(rng: np.random.Generator, rows: int, distinct: int) -> np.ndarray:
    # Spread over the whole 64-bit range so every spill partition gets rows.
    values = rng.integers(0, distinct, rows).astype(np.uint64)
    return values * np.uint64(0x9E3779B97F4A7C15)


def _true_repeats(blocks: list[np.ndarray]) -> int:
    return int(pd.Series(np.concatenate(blocks)).duplicated().sum())


def test_spilled_hashes_count_the_same_repeats_as_in_memory(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    blocks = [_hashes(rng, 5_000, 20_000) for _ in range(12)]
    spill = HashSpill(tmp_path / "spill", memory_rows=7_000)
    for block in blocks:
        spill.add(block)
    assert spill.spilled, "the test must exercise the on-disk path"
    assert len(list((tmp_path / "spill").glob("*.u64"))) > 1
    assert spill.count_repeats() == _true_repeats(blocks) > 0


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
    kept = [counter.process(frame.iloc[start : start + 2_500]) for start in range(0, 20_000, 2_500)]
    assert counter.duplicates() == int(frame.duplicated().sum())
    if drop:
        assert pd.concat(kept).equals(frame.drop_duplicates())


def test_chunks_are_shorter_for_wide_files() -> None:
    """Memory follows cells, not rows: a wide file gets proportionally shorter chunks."""
    settings = PipelineSettings(chunk_rows=250_000, chunk_cells=3_000_000)
    assert chunk_rows_for(12, settings) == 250_000
    assert chunk_rows_for(3_000, settings) == 1_000
    assert chunk_rows_for(10_000, settings) * 10_000 <= 3_000_000
