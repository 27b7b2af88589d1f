"""Column names, missing markers and type coercion."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.clean import (
    MISSING_MARKERS,
    ColumnPlan,
    ConversionStats,
    _may_change_when_stripped,
    clean_column_name,
    clean_column_names,
    convert_column,
    infer_column_type,
    strip_text,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("free sulfur dioxide", "free_sulfur_dioxide"),
        ("pH", "ph"),
        ("  Total (mg/L) ", "total_mg_l"),
        ("__x__", "x"),
        ("Größe", "gr_e"),
        ("fixed acidity", "fixed_acidity"),
        ("A--B", "a_b"),
    ],
)
def test_clean_column_name_follows_the_contract(raw: str, cleaned: str) -> None:
    assert clean_column_name(raw) == cleaned


def test_colliding_and_empty_names_are_made_unique_with_notes() -> None:
    names, notes = clean_column_names(["pH", "PH", "", "p h", "ph"])
    assert names == ["ph", "ph_2", "column_3", "p_h", "ph_3"]
    assert len(notes) == 3
    assert "collides" in notes[0]


def test_strip_text_trims_and_marks_missing() -> None:
    frame = pd.DataFrame({"a": [" x ", "NA", "-", "null", " ", "y"]})
    out = strip_text(frame)
    assert out["a"].tolist()[0] == "x"
    assert out["a"].isna().tolist() == [False, True, True, True, True, False]


def _parsed(values: list[str]) -> pd.DataFrame:
    """`values` as one quoted CSV column, read as the pipeline reads (markers -> NaN)."""
    lines = ["t"] + ['"' + v.replace('"', '""') + '"' for v in values]
    return pd.read_csv(
        io.StringIO("\n".join(lines) + "\n"),
        na_values=MISSING_MARKERS,
        keep_default_na=False,
        dtype={"t": "str"},
    )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(MISSING_MARKERS),
            st.text(alphabet=" \t\u00a0\u3000abcé-N/A?.", max_size=6),
        ),
        min_size=1,
        max_size=40,
    ),
    st.integers(min_value=0, max_value=5),
)
def test_skipping_clean_columns_gives_what_stripping_gives(values: list[str], cut: int) -> None:
    parsed = _parsed(values).iloc[cut:]  # a slice: Arrow arrays with an offset
    fast = strip_text(parsed.copy(), markers_parsed_as_missing=True)
    full = strip_text(parsed.copy())
    pd.testing.assert_frame_equal(fast, full)


def test_a_clean_column_is_kept_as_it_is_over_several_chunks() -> None:
    parsed = pd.concat([_parsed(["red", "white"] * 50), _parsed(["rose", "NA"])])
    assert parsed["t"].array.__arrow_array__().num_chunks == 2
    out = strip_text(parsed.copy(), markers_parsed_as_missing=True)
    assert out["t"].dtype == "string"
    assert out["t"].tolist()[-2:] == ["rose", pd.NA]  # "NA" was made missing by the parser
    assert out["t"].tolist()[:2] == ["red", "white"]
    assert not _may_change_when_stripped(parsed["t"].astype("string"))


@pytest.mark.parametrize("value", [" red", "red\t", "red\u00a0", "\u3000red", ""])
def test_any_value_to_trim_or_empty_takes_the_full_path(value: str) -> None:
    text = pd.Series(["white"] * 10 + [value], dtype="string")
    assert _may_change_when_stripped(text)
    assert _may_change_when_stripped(text.iloc[5:])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pd.Series([1.5, 2.0, None]), "float"),
        (pd.Series([1.0, 2.0, None]), "integer"),
        (pd.Series([1, 2, 3]), "integer"),
        (pd.Series(["yes", "no", "Yes"]), "boolean"),
        (pd.Series(["2024-01-31", "2024-02-01"]), "datetime"),
        (pd.Series(["31.01.2024", "01.02.2024"]), "datetime"),
        (pd.Series(["01/02/2024", "03/04/2024"]), "string"),  # day/month order ambiguous
        (pd.Series(["13/02/2024", "03/04/2024"]), "datetime"),  # 13 can only be a day
        (pd.Series(["red", "white"]), "string"),
    ],
)
def test_infer_column_type(values: pd.Series, expected: str) -> None:
    assert infer_column_type(values.rename("c")).type == expected


def test_convert_counts_cells_that_do_not_fit() -> None:
    stats = ConversionStats()
    out = convert_column(
        pd.Series(["1,5", "2", "abc"], name="x"), ColumnPlan("x", "float"), stats, ","
    )
    assert out.tolist()[:2] == [1.5, 2.0]
    assert pd.isna(out.iloc[2])
    assert stats.coerced == {"x": 1}


def test_declared_integer_with_fractions_stays_float_for_validation() -> None:
    stats = ConversionStats()
    out = convert_column(pd.Series([5.0, 5.5], name="q"), ColumnPlan("q", "integer"), stats)
    assert out.dtype == "float64"
    whole = convert_column(pd.Series([5.0, 6.0], name="q"), ColumnPlan("q", "integer"), stats)
    assert str(whole.dtype) == "Int64"


def test_boolean_conversion() -> None:
    stats = ConversionStats()
    out = convert_column(
        pd.Series(["True", "no", "maybe"], name="b"), ColumnPlan("b", "boolean"), stats
    )
    assert out.tolist()[:2] == [True, False]
    assert stats.coerced == {"b": 1}


def test_columns_parsed_as_numbers_convert_without_coercions() -> None:
    stats = ConversionStats()
    floats = convert_column(pd.Series([1.5, np.nan], name="f"), ColumnPlan("f", "float"), stats)
    ints = convert_column(pd.Series([3, 4], name="i"), ColumnPlan("i", "integer"), stats)
    as_float = convert_column(pd.Series([3, 4], name="g"), ColumnPlan("g", "float"), stats)
    assert str(floats.dtype) == "float64" and pd.isna(floats.iloc[1])
    assert str(ints.dtype) == "Int64" and ints.tolist() == [3, 4]
    assert str(as_float.dtype) == "float64"
    assert stats.coerced == {}
