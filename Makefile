# The two set-up commands: `make generate` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.avrobind-installed
# The validators `avrobind docs` is tested with (the official AsyncAPI parser, Mermaid's parser).
NODE_DIR := tests/docs/node
NODE_STAMP := $(NODE_DIR)/node_modules/.avrobind-installed

.PHONY: generate check test lint typecheck bench sync registry clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(NODE_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

## Render avsc/ into generated/ (creates the venv on first use).
generate: $(STAMP)
	$(BIN)/avrobind generate

## Fail when generated/ is stale or a schema change is incompatible with HEAD.
check: $(STAMP)
	$(BIN)/avrobind check

## Everything the tests need, then the whole suite.
test: $(STAMP) $(NODE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q --durations=15

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/registry_load.py
	$(BIN)/python bench/telemetry.py

## Push the schemas to AVROBIND_REGISTRY_URL (or [tool.avrobind].registry).
sync: $(STAMP)
	$(BIN)/avrobind sync

## A local Confluent-compatible registry on 127.0.0.1:8081.
registry: $(STAMP)
	$(BIN)/avrobind registry serve

clean:
	rm -rf $(VENV) $(NODE_DIR)/node_modules .pytest_cache .mypy_cache .ruff_cache
