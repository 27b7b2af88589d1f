"""The data-pipeline's one settings object, read from the environment."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_COMPONENT_ROOT = Path(__file__).resolve().parents[2]


def _default_repo_root() -> Path:
    # In a source checkout the component sits one level below the repo root; in an
    # installed image there is no repo, and the working directory is the best guess.
    candidate = _COMPONENT_ROOT.parent
    if (candidate / "data-pipeline").is_dir():
        return candidate
    return Path.cwd()


def default_lake_url() -> str:
    """`file://<repo>/.lake`, the embedded default lake."""
    return (_default_repo_root() / ".lake").as_uri()


def default_datasets_dir() -> Path:
    """The `datasets/` folder shipped beside the package."""
    return _COMPONENT_ROOT / "datasets"


class PipelineSettings(BaseSettings):
    """Settings of the data pipeline (`PIPELINE_*`, plus the shared `LAKE_URL`)."""

    model_config = SettingsConfigDict(env_prefix="PIPELINE_", extra="ignore")

    lake_url: str = Field(
        default_factory=default_lake_url,
        validation_alias=AliasChoices("LAKE_URL", "PIPELINE_LAKE_URL"),
        description="file:///abs/path or s3://bucket[/prefix]",
    )
    datasets_dir: Path = Field(default_factory=default_datasets_dir)
    chunk_rows: int = Field(default=250_000, ge=1_000, description="most rows per streamed chunk")
    chunk_cells: int = Field(
        default=3_000_000,
        ge=10_000,
        description="most cells (rows x columns) per streamed chunk: wide files get fewer rows",
    )
    validation_rows: int = Field(
        default=250_000,
        ge=1_000,
        description="rows per validation block; great-expectations checks the first block",
    )
    sniff_sample_bytes: int = Field(default=256 * 1024, ge=4096)
    ingest_threads: int = Field(
        default_factory=lambda: min(os.cpu_count() or 1, 4),
        ge=1,
        description="threads that parse and check blocks of one file (1: one stream)",
    )
    block_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        description="bytes per independently parsed block of a big file",
    )
    search_budget: int = Field(default=12, ge=1, description="hyper-parameter candidates tried")
    random_seed: int = 42
    storage_retries: int = Field(default=5, ge=0, description="attempts on transient S3 errors")
    ingest_schedule: str | None = Field(
        default="* * * * *",
        description="cron schedule of the polling ingest DAG; 'none' turns polling off",
    )
    raw_events_queue_url: str | None = Field(
        default=None,
        description="SQS queue URL receiving S3 ObjectCreated events for raw/ (event-driven DAG)",
    )
    mlflow_tracking_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "PIPELINE_MLFLOW_TRACKING_URI"),
        description="MLflow tracking server (http[s]://host:port); unset: the lake's runs log only",
    )

    @field_validator("ingest_schedule", "raw_events_queue_url", "mlflow_tracking_uri")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() in {"", "none", "off"}:
            return None
        return value.strip()

    @field_validator("mlflow_tracking_uri")
    @classmethod
    def _check_mlflow_uri(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(
                f"MLFLOW_TRACKING_URI must be an http(s):// tracking server, got {value!r} "
                "(for example http://127.0.0.1:5000); unset it to keep only the lake's runs log"
            )
        return value.rstrip("/") if value else value

    @field_validator("lake_url")
    @classmethod
    def _check_lake_url(cls, value: str) -> str:
        if not value.startswith(("file://", "s3://")):
            raise ValueError(
                f"LAKE_URL must start with file:// or s3://, got {value!r} "
                "(for example file:///data/lake or s3://my-bucket/lake)"
            )
        return value.rstrip("/") if value != "file:///" else value


@lru_cache(maxsize=1)
def get_settings() -> PipelineSettings:
    """The process-wide settings, read once from the environment."""
    return PipelineSettings()
