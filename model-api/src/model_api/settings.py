"""model-api's one settings object, read from the environment (`MODEL_API_*`, `LAKE_URL`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_COMPONENT_ROOT = Path(__file__).resolve().parents[2]

# Keys people paste from examples; serving with one of them is worse than serving open.
_PLACEHOLDER_KEYS = frozenset(
    {
        "changeme",
        "change-me",
        "changethis",
        "secret",
        "password",
        "apikey",
        "api-key",
        "your-api-key",
        "your_api_key",
        "test",
        "example",
        "xxx",
        "none",
        "null",
    }
)
MIN_API_KEY_LENGTH = 16


class Backend(StrEnum):
    """How predictions are computed."""

    NUMPY = "numpy"  # exact vectorised traversal of forest.npz (default, fastest exact path)
    ONNX = "onnx"  # onnxruntime on model.onnx (float32 thresholds: ~1e-5 off)
    SKLEARN = "sklearn"  # the skops Pipeline; reference path, needs the `reference` extra


def default_lake_url() -> str:
    """`file://<repo>/.lake` in a checkout, else `file://<cwd>/.lake`."""
    candidate = _COMPONENT_ROOT.parent
    root = candidate if (candidate / "model-api").is_dir() else Path.cwd()
    return (root / ".lake").as_uri()


class ModelApiSettings(BaseSettings):
    """Settings of the serving process; validated once at start with plain-words errors."""

    model_config = SettingsConfigDict(env_prefix="MODEL_API_", extra="ignore")

    lake_url: str = Field(
        default_factory=default_lake_url,
        validation_alias=AliasChoices("LAKE_URL", "MODEL_API_LAKE_URL"),
        description="file:///abs/path or s3://bucket[/prefix]",
    )
    dataset: str = Field(default="wine_quality", pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    poll_interval_seconds: float = Field(default=5.0, gt=0, le=3600)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    max_batch: int = Field(default=10_000, ge=1, le=1_000_000)
    backend: Backend = Backend.NUMPY
    api_key: SecretStr | None = Field(
        default=None, description="when set, POST /predict and GET /model need X-API-Key"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Batches at least this large are predicted in a worker thread so one big batch
    # does not stall the event loop; single rows stay inline (a thread hop costs more).
    thread_offload_rows: int = Field(default=64, ge=1)
    # Prediction logs (predictions/<dataset>/<day>/ in the lake): share of rows sampled
    # (0 disables), the in-memory cap (rows beyond it are dropped and counted, never
    # queued), and when the background writer flushes (every N seconds or M rows).
    prediction_log_rate: float = Field(default=0.1, ge=0.0, le=1.0)
    prediction_log_queue_rows: int = Field(default=10_000, ge=1, le=10_000_000)
    prediction_log_flush_seconds: float = Field(default=30.0, gt=0, le=3600)
    prediction_log_flush_rows: int = Field(default=1_000, ge=1)
    prediction_log_seed: int | None = Field(
        default=None, description="seed of the sampling draw (tests, reproducible sampling)"
    )
    # How often the latest drift status (reports/<dataset>/drift/latest.json) is re-read
    # for GET /model; the route itself only reads the cached copy.
    drift_refresh_seconds: float = Field(default=60.0, gt=0, le=86_400)

    @field_validator("lake_url")
    @classmethod
    def _check_lake_url(cls, value: str) -> str:
        if not value.startswith(("file:///", "s3://")):
            raise ValueError(
                f"LAKE_URL must be file:///absolute/path or s3://bucket[/prefix], got {value!r}"
            )
        return value.rstrip("/") or value

    @field_validator("api_key")
    @classmethod
    def _refuse_placeholder_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or value.get_secret_value() == "":
            return None
        secret = value.get_secret_value()
        if secret.strip().lower() in _PLACEHOLDER_KEYS or len(secret) < MIN_API_KEY_LENGTH:
            raise ValueError(
                "MODEL_API_API_KEY looks like a placeholder or is shorter than "
                f"{MIN_API_KEY_LENGTH} characters; generate one, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        return value
