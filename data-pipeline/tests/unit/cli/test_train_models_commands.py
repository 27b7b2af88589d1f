"""`pipeline train`, `models`, `promote`, `rollback` through the real entry point."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.lake import LocalLake
from pipeline.settings import get_settings
from pipeline.train import TrainResult
from wine_lake import train_fast, write_curated_wine

pytestmark = pytest.mark.unit


@pytest.fixture
def lake_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalLake]:
    lake = LocalLake(tmp_path / "lake")
    monkeypatch.setenv("LAKE_URL", lake.url)
    get_settings.cache_clear()
    yield lake
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def trained_lake(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[LocalLake, TrainResult, TrainResult]:
    lake = LocalLake(tmp_path_factory.mktemp("lake"))
    write_curated_wine(lake)
    first = train_fast(lake)
    second = train_fast(lake, force_promote=True)
    return lake, first, second


@pytest.fixture
def two_versions(
    trained_lake: tuple[LocalLake, TrainResult, TrainResult], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[LocalLake, TrainResult, TrainResult]]:
    """The trained lake as LAKE_URL; its champion is the second version again afterwards."""
    lake, _, second = trained_lake
    monkeypatch.setenv("LAKE_URL", lake.url)
    get_settings.cache_clear()
    yield trained_lake
    main(["promote", "--dataset", "wine_quality", "--version", second.version])
    get_settings.cache_clear()


def test_models_lists_versions_runs_and_champion(
    two_versions: tuple[LocalLake, TrainResult, TrainResult], capsys: pytest.CaptureFixture[str]
) -> None:
    _, first, second = two_versions
    assert main(["models", "--dataset", "wine_quality", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [v["version"] for v in listing["versions"]] == [first.version, second.version]
    assert listing["champion"]["version"] == second.version
    assert len(listing["runs"]) == 2
    assert main(["models", "--dataset", "wine_quality"]) == 0
    text = capsys.readouterr().out
    assert f" * {second.version}" in text and f"   {first.version}" in text
    assert "forced promotion" in text


def test_rollback_and_promote_commands(
    two_versions: tuple[LocalLake, TrainResult, TrainResult], capsys: pytest.CaptureFixture[str]
) -> None:
    _, first, second = two_versions
    assert main(["rollback", "--dataset", "wine_quality", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == first.version
    assert main(["promote", "--dataset", "wine_quality", "--version", second.version]) == 0
    assert f"champion of wine_quality is now {second.version}" in capsys.readouterr().out
    assert main(["promote", "--dataset", "wine_quality", "--version", "v1"]) == 2
    assert "no model version 'v1'" in capsys.readouterr().err


def test_usage_errors_exit_2(lake_env: LocalLake, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--dataset", "no_such_dataset"]) == 2
    assert "no dataset 'no_such_dataset'" in capsys.readouterr().err
    assert main(["train", "--dataset", "wine_quality"]) == 2
    assert "no curated data for dataset 'wine_quality'" in capsys.readouterr().err
    assert main(["train", "--dataset", "wine_quality", "--search-budget", "0"]) == 2
    assert main(["rollback", "--dataset", "wine_quality"]) == 2
    assert "no champion to roll back" in capsys.readouterr().err
    assert main(["models", "--dataset", "wine_quality"]) == 0
    assert "no model versions" in capsys.readouterr().out
