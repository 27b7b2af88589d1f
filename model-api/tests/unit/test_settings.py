"""settings.py: environment names, validation, placeholder keys."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from model_api.settings import Backend, ModelApiSettings

pytestmark = pytest.mark.unit


def test_reads_lake_url_and_prefixed_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAKE_URL", "s3://bucket/lake/")
    monkeypatch.setenv("MODEL_API_DATASET", "iris")
    monkeypatch.setenv("MODEL_API_BACKEND", "onnx")
    monkeypatch.setenv("MODEL_API_MAX_BATCH", "50")
    settings = ModelApiSettings()
    assert (settings.lake_url, settings.dataset, settings.backend, settings.max_batch) == (
        "s3://bucket/lake",
        "iris",
        Backend.ONNX,
        50,
    )


def test_default_lake_is_the_repo_dot_lake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAKE_URL", raising=False)
    monkeypatch.delenv("MODEL_API_LAKE_URL", raising=False)
    assert ModelApiSettings().lake_url.endswith("/.lake")
    assert ModelApiSettings().max_batch == 10_000


@pytest.mark.parametrize("url", ["http://x", "file://relative/path", "/abs/path"])
def test_bad_lake_urls_are_refused_in_plain_words(url: str) -> None:
    with pytest.raises(ValidationError, match="LAKE_URL must be"):
        ModelApiSettings(lake_url=url)


@pytest.mark.parametrize("key", ["changeme", "CHANGEME", "password", "short-key"])
def test_placeholder_api_keys_are_refused(key: str) -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        ModelApiSettings(api_key=key)


def test_a_real_key_is_kept_secret() -> None:
    settings = ModelApiSettings(api_key="k" * 8 + "Qz81-xY2_pL0")
    assert settings.api_key is not None
    assert "Qz81" not in repr(settings)
    assert ModelApiSettings(api_key="").api_key is None


def test_prediction_log_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ModelApiSettings().prediction_log_rate == 0.1  # the documented default
    monkeypatch.setenv("MODEL_API_PREDICTION_LOG_RATE", "0")
    monkeypatch.setenv("MODEL_API_PREDICTION_LOG_QUEUE_ROWS", "500")
    settings = ModelApiSettings()
    assert (settings.prediction_log_rate, settings.prediction_log_queue_rows) == (0.0, 500)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("prediction_log_rate", 1.5),
        ("prediction_log_rate", -0.1),
        ("prediction_log_queue_rows", 0),
        ("prediction_log_flush_seconds", 0),
        ("drift_refresh_seconds", 0),
    ],
)
def test_prediction_log_settings_out_of_range_are_refused(name: str, value: float) -> None:
    with pytest.raises(ValidationError, match=name):
        ModelApiSettings(**{name: value})
