"""Validation with great-expectations: the suite from the dataset declaration."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import pytest

from pipeline.datasets import DatasetSpec, load_dataset_spec
from pipeline.expectations import prepare_frame
from pipeline.gx_docs import TEMPLATES
from pipeline.lake import LocalLake
from pipeline.settings import default_datasets_dir
from pipeline.validate import (
    _runner_for,
    safe_batch_id,
    validate_frame,
    write_validation_report,
)
from wine_lake import wine_frame

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def spec() -> DatasetSpec:
    return load_dataset_spec("wine_quality", default_datasets_dir())


def test_wine_data_passes_with_data_docs(spec: DatasetSpec) -> None:
    frame = wine_frame()
    report = validate_frame(frame, spec, batch_id="wine-both", check_row_count=True)
    assert report.success, report.critical_failures
    assert report.critical_failures == [] and report.warnings == []
    assert report.rows == 6497
    checked = {(r["column"], r["expectation"]) for r in report.results}
    assert ("ph", "expect_column_values_to_be_between") in checked
    assert ("wine_type", "expect_column_values_to_be_in_set") in checked
    assert ("table", "expect_table_row_count_to_be_between") in checked
    index = report.data_docs["index.html"].decode()
    assert "<html" in index.lower()
    assert any(key.startswith("validations/") for key in report.data_docs)
    json.dumps(report.to_dict())  # JSON-able


def test_data_docs_compile_templates_once(
    spec: DatasetSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = wine_frame().head(50)
    TEMPLATES.clear()
    first = validate_frame(frame, spec, batch_id="docs-a")
    compiled = len(TEMPLATES)
    assert compiled >= 10  # the page, index, section and component templates

    compiles: list[str] = []
    original = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, *args: Any, **kwargs: Any) -> Any:
        compiles.append(source[:40])
        return original(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    second = validate_frame(frame, spec, batch_id="docs-b")
    assert compiles == [] and len(TEMPLATES) == compiled
    # The reused code renders the same pages: the suite's page differs only in the
    # render time GX stamps on its logo's URL.
    suite_page = "expectations/wine_quality/chunk.html"
    stamp = re.compile(rb"\?d=\d{8}T\d{6}\.\d+Z")
    before, after = (stamp.sub(b"", r.data_docs[suite_page]) for r in (first, second))
    assert before == after and len(before) > 10_000
    assert b"docs-b" in b"".join(v for k, v in second.data_docs.items() if k.endswith(".html"))


def _ph_40(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[3, "ph"] = 40.0
    return frame


def _no_target(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["quality"])


def _unknown_type(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[7, "wine_type"] = "rose"
    return frame


@pytest.mark.parametrize(
    ("corrupt", "expected"),
    [
        (
            _ph_40,
            "ph: expect_column_values_to_be_between(min 2.0, max 5.0) failed for 1 of 1599 rows "
            "(e.g. 40.0)",
        ),
        (_no_target, "quality: expect_column_to_exist failed: the column is missing"),
        (
            _unknown_type,
            "wine_type: expect_column_values_to_be_in_set(red, white) failed for 1 of 1599 rows "
            "(e.g. 'rose')",
        ),
    ],
    ids=["ph-of-40", "missing-target", "unknown-category"],
)
def test_corrupted_wine_fails_naming_the_expectation(
    spec: DatasetSpec, corrupt: object, expected: str
) -> None:
    frame = corrupt(wine_frame("red"))  # type: ignore[operator]
    report = validate_frame(frame, spec, batch_id="bad", build_docs=False)
    assert not report.success
    assert report.critical_failures == [expected]


def test_row_count_floor_only_on_whole_files(spec: DatasetSpec) -> None:
    tiny = wine_frame("red").head(3)
    assert validate_frame(tiny, spec, batch_id="chunk", build_docs=False).success
    report = validate_frame(tiny, spec, batch_id="file", check_row_count=True, build_docs=False)
    assert report.critical_failures == [
        "table: expect_table_row_count_to_be_between(min 10) failed: the batch has 3 rows"
    ]


def test_wrong_type_and_nulls_are_named(spec: DatasetSpec) -> None:
    frame = wine_frame("red")
    frame["quality"] = frame["quality"].astype("float64") + 0.5
    frame.loc[0:4, "alcohol"] = None
    failures = validate_frame(frame, spec, batch_id="b", build_docs=False).critical_failures
    assert (
        "quality: expect_column_values_to_be_in_type_list(integer) failed: "
        "the column's type is float64" in failures
    )
    assert "alcohol: expect_column_values_to_not_be_null failed for 5 of 1599 rows" in failures


def test_warning_severity_is_logged_not_fatal(spec: DatasetSpec) -> None:
    columns = dict(spec.columns)
    columns["ph"] = columns["ph"].model_copy(update={"severity": "warning"})
    lenient = spec.model_copy(update={"columns": columns})
    report = validate_frame(_ph_40(wine_frame("red")), lenient, batch_id="w", build_docs=False)
    assert report.success
    assert report.critical_failures == []
    assert report.warnings and report.warnings[0].startswith(
        "ph: expect_column_values_to_be_between"
    )


def test_other_spellings_of_the_same_types_pass(spec: DatasetSpec) -> None:
    frame = wine_frame("white")
    frame["wine_type"] = frame["wine_type"].astype("category")
    assert validate_frame(frame, spec, batch_id="cat", build_docs=False).success
    frame["wine_type"] = frame["wine_type"].astype(str).astype(object)
    assert validate_frame(frame, spec, batch_id="obj", build_docs=False).success
    prepared = prepare_frame(pd.DataFrame({"t": pd.to_datetime(["2024-01-01"]).tz_localize("UTC")}))
    assert str(prepared["t"].dtype).startswith("datetime64[") and prepared["t"].dt.tz is None


def test_suite_is_built_once_per_spec(spec: DatasetSpec) -> None:
    assert _runner_for(spec) is _runner_for(spec)
    other = spec.model_copy(update={"min_rows": 99})
    assert _runner_for(other) is not _runner_for(spec)


def test_report_written_under_reports(spec: DatasetSpec, tmp_path: Path) -> None:
    lake = LocalLake(tmp_path)
    report = validate_frame(_ph_40(wine_frame("red")), spec, batch_id="red 1/2", build_docs=True)
    key = write_validation_report(lake, "wine_quality", "red 1/2", report)
    assert key == "reports/wine_quality/validation/red_1_2/index.html"
    pages = [info.key for info in lake.list("reports/wine_quality/validation/red_1_2/validations/")]
    assert len(pages) == 1
    page = lake.read_bytes(pages[0]).decode()
    assert "ph" in page and "40.0" in page  # the failing column and its unexpected value
    summary = json.loads(lake.read_bytes("reports/wine_quality/validation/red_1_2/report.json"))
    assert summary["success"] is False and summary["critical_failures"][0].startswith("ph:")
    assert safe_batch_id("../x") == "x"
