"""The infrastructure agrees with the components it deploys."""

from __future__ import annotations

import tomllib

import pytest
from packaging.requirements import Requirement

from infra_paths import REPO_ROOT, resources, terraform_blocks

pytestmark = pytest.mark.unit


def _variable_default(name: str) -> str:
    for block in terraform_blocks()["variable"]:
        if name in block:
            default = block[name]["default"]
            assert isinstance(default, str)
            return default
    raise AssertionError(f"no variable {name}")


def test_mwaa_runs_an_airflow_the_pipeline_accepts() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "data-pipeline" / "pyproject.toml").read_text("utf-8"))
    (airflow,) = [
        Requirement(d)
        for d in pyproject["project"]["dependencies"]
        if Requirement(d).name == "apache-airflow"
    ]
    assert airflow.specifier.contains(_variable_default("mwaa_airflow_version"))


def test_the_api_serves_the_lake_and_dataset_model_api_reads() -> None:
    definitions = resources("aws_ecs_task_definition")["api"]["container_definitions"]
    settings = (REPO_ROOT / "model-api" / "src" / "model_api" / "settings.py").read_text("utf-8")
    assert 'env_prefix="MODEL_API_"' in settings
    for variable in ("LAKE_URL", "MODEL_API_DATASET", "MODEL_API_API_KEY"):
        assert f'name = "{variable}"' in definitions
    assert "api_key" in settings and "dataset" in settings


def test_mwaa_gets_the_settings_the_pipeline_reads() -> None:
    startup = resources("aws_s3_object")["mwaa_startup"]["content"]
    settings = (REPO_ROOT / "data-pipeline" / "src" / "pipeline" / "settings.py").read_text("utf-8")
    assert 'env_prefix="PIPELINE_"' in settings
    assert "raw_events_queue_url" in settings
    assert "export PIPELINE_RAW_EVENTS_QUEUE_URL=" in startup
    assert "export LAKE_URL=" in startup
