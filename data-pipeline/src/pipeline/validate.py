"""Validate cleaned data with a great-expectations suite built from the dataset declaration.

One ephemeral great-expectations context per dataset spec is built once and cached in the
process: ingest validates every chunk of every file, and rebuilding the context each time
would cost more than the validation itself.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.datasets import DatasetSpec
from pipeline.expectations import TABLE, TYPE_LISTS, build_expectations, prepare_frame
from pipeline.gx_import import wait_for_background_import
from pipeline.lake import Lake, join_key
from pipeline.layout import reports_prefix
from pipeline.validate_messages import describe_failure, json_safe

# TYPE_LISTS and prepare_frame moved to pipeline.expectations; re-exported for callers.
__all__ = [
    "TYPE_LISTS",
    "ValidationReport",
    "build_expectations",
    "prepare_frame",
    "safe_batch_id",
    "validate_frame",
    "write_validation_report",
]

logger = logging.getLogger(__name__)

# Data Docs ship ~4 MB of fonts and animated GIFs per site; these are decoration only.
_DOCS_SKIPPED = re.compile(r"^static/(fonts/|images/.*\.gif$)")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9._=-]+")


@dataclass
class ValidationReport:
    """The outcome of validating one batch against its dataset's suite.

    `success` is False iff a critical expectation failed; `critical_failures` and
    `warnings` name each failed expectation and column in plain words.
    """

    dataset: str
    batch_id: str
    rows: int
    success: bool
    critical_failures: list[str]
    warnings: list[str]
    results: list[dict[str, Any]]
    data_docs: dict[str, bytes] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary (without the Data Docs bytes)."""
        return {
            "dataset": self.dataset,
            "batch_id": self.batch_id,
            "rows": self.rows,
            "success": self.success,
            "critical_failures": list(self.critical_failures),
            "warnings": list(self.warnings),
            "results": self.results,
        }


class _SuiteRunner:
    """A cached great-expectations context holding the spec's suites (chunk and whole file)."""

    def __init__(self, spec: DatasetSpec) -> None:
        wait_for_background_import()
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.spec = spec
        self.lock = threading.Lock()
        self.context = gx.get_context(mode="ephemeral")
        # tqdm progress bars would flood task logs, one per validation.
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        for site in list(self.context.variables.data_docs_sites or {}):
            self.context.delete_data_docs_site(site)
        asset = self.context.data_sources.add_pandas("pipeline").add_dataframe_asset(spec.name)
        self.batch = asset.add_batch_definition_whole_dataframe("whole_frame")
        self.definitions: dict[bool, Any] = {}

    def _definition(self, check_row_count: bool) -> Any:
        """The validation definition of one suite, built on first use.

        The expectations go into the suite's constructor: `suite.add_expectation` on a
        stored suite re-serialises the whole suite each time (1.2 s for a 13-column
        dataset's two suites, against 0.1 s at once).
        """
        import great_expectations as gx

        definition = self.definitions.get(check_row_count)
        if definition is None:
            name = f"{self.spec.name}.{'file' if check_row_count else 'chunk'}"
            expectations = build_expectations(self.spec, check_row_count=check_row_count)
            suite = self.context.suites.add(
                gx.ExpectationSuite(name=name, expectations=expectations)
            )
            definition = self.definitions[check_row_count] = (
                self.context.validation_definitions.add(
                    gx.ValidationDefinition(name=name, data=self.batch, suite=suite)
                )
            )
        return definition

    def run(self, frame: pd.DataFrame, batch_id: str, check_row_count: bool) -> Any:
        from great_expectations.core.run_identifier import RunIdentifier

        run_id = RunIdentifier(run_name=safe_batch_id(batch_id), run_time=datetime.now(UTC))
        return self._definition(check_row_count).run(
            batch_parameters={"dataframe": frame}, result_format="SUMMARY", run_id=run_id
        )

    def build_docs(self) -> dict[str, bytes]:
        """Render the stored validation results as a Data Docs site, then forget them."""
        from pipeline.gx_docs import cached_view

        store: Any = self.context.validation_results_store
        keys = store.list_keys()
        folder = Path(tempfile.mkdtemp(prefix="gx-docs-"))
        site = "batch"
        config: Any = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(folder),
            },
            "site_index_builder": {
                "class_name": "DefaultSiteIndexBuilder",
                "view": cached_view("CachedJinjaIndexPageView"),
            },
            # The sections rendered; profiling stays GX's (there are no profiling results).
            "site_section_builders": {
                "expectations": {"view": cached_view("CachedJinjaPageView")},
                "validations": {"view": cached_view("CachedJinjaPageView")},
            },
        }
        try:
            self.context.add_data_docs_site(site, config)
            self.context.build_data_docs(site_names=[site])
            return {
                path.relative_to(folder).as_posix(): path.read_bytes()
                for path in sorted(folder.rglob("*"))
                if path.is_file() and not _DOCS_SKIPPED.match(path.relative_to(folder).as_posix())
            }
        finally:
            self.context.delete_data_docs_site(site)
            for key in keys:
                store.remove_key(key)
            shutil.rmtree(folder, ignore_errors=True)


_RUNNERS: dict[str, _SuiteRunner] = {}
_RUNNERS_LOCK = threading.Lock()


def _runner_for(spec: DatasetSpec) -> _SuiteRunner:
    fingerprint = hashlib.sha256(spec.model_dump_json().encode()).hexdigest()
    with _RUNNERS_LOCK:
        runner = _RUNNERS.get(fingerprint)
        if runner is None:
            logger.info("building the great-expectations suite for dataset %s", spec.name)
            runner = _RUNNERS[fingerprint] = _SuiteRunner(spec)
        return runner


def safe_batch_id(batch_id: str) -> str:
    """`batch_id` made safe as one lake key segment (other characters become `_`)."""
    return _UNSAFE_ID.sub("_", batch_id).strip("._") or "batch"


def validate_frame(
    frame: pd.DataFrame,
    spec: DatasetSpec,
    *,
    batch_id: str,
    check_row_count: bool = False,
    build_docs: bool = True,
) -> ValidationReport:
    """Validate a cleaned DataFrame against the suite built from `spec`.

    Args:
        frame: cleaned data (snake_case columns, typed); not modified.
        spec: the dataset declaration the suite comes from.
        batch_id: names this batch in the report and the Data Docs.
        check_row_count: also expect at least `spec.min_rows` rows (whole files only).
        build_docs: render the great-expectations Data Docs into `report.data_docs`.

    Returns:
        The report; `success` is False iff a critical expectation failed.
    """
    runner = _runner_for(spec)
    prepared = prepare_frame(frame)
    with runner.lock:
        result = runner.run(prepared, batch_id, check_row_count)
        docs = runner.build_docs() if build_docs else {}
        if not build_docs:
            store: Any = runner.context.validation_results_store
            for key in store.list_keys():
                store.remove_key(key)
    missing = {
        r.expectation_config.kwargs["column"]
        for r in result.results
        if r.expectation_config.type == "expect_column_to_exist" and not r.success
    }
    critical: list[str] = []
    warnings: list[str] = []
    results: list[dict[str, Any]] = []
    for item in result.results:
        config = item.expectation_config
        meta = config.meta or {}
        column = str(meta.get("column", TABLE))
        severity = str(meta.get("severity", "critical"))
        entry = {
            "expectation": config.type,
            "column": column,
            "severity": severity,
            "declared_type": meta.get("type"),
            "success": bool(item.success),
            "kwargs": json_safe({k: v for k, v in config.kwargs.items() if k != "batch_id"}),
            "result": json_safe(dict(item.result or {})),
        }
        results.append(entry)
        # A missing column fails every check on it; naming only the missing column is clearer.
        if item.success or (column in missing and config.type != "expect_column_to_exist"):
            continue
        message = describe_failure(entry, frame, len(frame))
        (critical if severity == "critical" else warnings).append(message)
    report = ValidationReport(
        dataset=spec.name,
        batch_id=batch_id,
        rows=len(frame),
        success=not critical,
        critical_failures=critical,
        warnings=warnings,
        results=results,
        data_docs=docs,
    )
    for message in warnings:
        logger.warning("batch %s of %s: warning: %s", batch_id, spec.name, message)
    if critical:
        logger.warning(
            "batch %s of %s failed validation: %s", batch_id, spec.name, "; ".join(critical)
        )
    else:
        logger.info("batch %s of %s passed validation (%d rows)", batch_id, spec.name, len(frame))
    return report


def write_validation_report(
    lake: Lake, dataset: str, batch_id: str, report: ValidationReport
) -> str:
    """Write the Data Docs and `report.json` under `reports/<dataset>/validation/<batch_id>/`.

    `batch_id` is made key-safe (see `safe_batch_id`). Returns the key of `index.html`
    (or of `report.json` when the report has no Data Docs).
    """
    import json

    prefix = join_key(reports_prefix(dataset, "validation"), safe_batch_id(batch_id))
    for relative, data in report.data_docs.items():
        lake.write_bytes(join_key(prefix, relative), data)
    summary_key = join_key(prefix, "report.json")
    lake.write_bytes(summary_key, json.dumps(report.to_dict(), indent=2).encode())
    index = join_key(prefix, "index.html")
    location = index if "index.html" in report.data_docs else summary_key
    logger.info("validation report of %s batch %s at %s", dataset, batch_id, location)
    return location
