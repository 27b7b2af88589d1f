"""main.py: the console script refuses bad settings before starting any worker."""

from __future__ import annotations

import logging

import pytest

from model_api.main import main, parse_args

pytestmark = pytest.mark.unit


def test_arguments_and_defaults() -> None:
    args = parse_args([])
    assert (args.host, args.port, args.workers) == ("127.0.0.1", 8000, 1)
    assert parse_args(["--workers", "2", "--port", "9"]).workers == 2


def test_invalid_settings_exit_2_with_a_plain_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setenv("LAKE_URL", "http://not-a-lake")
    assert main(["--port", "1"]) == 2
    logged = capsys.readouterr().err
    assert '"level": "ERROR"' in logged and "LAKE_URL must be" in logged
