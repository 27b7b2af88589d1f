"""curation.py: typed blocks to Arrow tables, exactly as pyarrow's pandas conversion does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from pipeline.curation import table_of

pytestmark = pytest.mark.unit


def _block(rows: int, seed: int, with_gaps: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    floats = rng.normal(5, 2, rows)
    if with_gaps:
        floats[::7] = np.nan
    return pd.DataFrame(
        {
            "gappy": floats,
            "full": rng.normal(0, 1, rows),
            "count": pd.array(
                [None if with_gaps and i % 5 == 0 else i for i in range(rows)], dtype="Int64"
            ),
            "kind": pd.array(
                [None if with_gaps and i % 3 == 0 else "red" for i in range(rows)],
                dtype="string",
            ),
            "flag": pd.array([i % 2 == 0 for i in range(rows)], dtype="boolean"),
            "when": pd.to_datetime(["2024-01-31"] * rows),
        }
    )


def test_later_blocks_convert_as_pyarrow_converts_them() -> None:
    schema = table_of(_block(50, 0, with_gaps=False), None).schema
    for seed, gaps in [(1, True), (2, False)]:
        block = _block(200, seed, gaps)
        table = table_of(block, schema)
        expected = pa.Table.from_pandas(block, schema=schema, preserve_index=False)
        assert table.equals(expected)
        # NaN is missing, as pandas means it, not a float NaN in the Parquet file.
        assert table.column("gappy").null_count == (29 if gaps else 0)
        assert not np.isnan(table.column("full").to_numpy()).any()


def test_a_column_that_no_longer_fits_the_schema_fails_as_in_pyarrow() -> None:
    schema = pa.schema([("quality", pa.int64())])
    block = pd.DataFrame({"quality": [5.0, 5.5]})
    with pytest.raises(pa.ArrowInvalid):
        pa.Table.from_pandas(block, schema=schema, preserve_index=False)
    with pytest.raises(pa.ArrowInvalid):
        table_of(block, schema)
