# Strata's front door. Every target bootstraps what it needs: uv (through pip) and the
# workspace's locked virtualenv, so a fresh machine needs only Python 3.11 and make.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
# Test suites, each in its own pytest process (one Django settings module per process).
SUITES := libs/chassis devstack services/auth services/users services/chat services/worker
# mypy runs per package: each service has its own settings module and its own tests/.
TYPED := libs/chassis devstack services/auth services/users services/chat services/worker

.PHONY: help bootstrap sync dev dev-reset test lint format proto proto-check chart-test

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

bootstrap:  ## Install uv with pip when it is missing
	@command -v uv >/dev/null 2>&1 || test -x $(UV) || $(PYTHON) -m pip install --quiet --user uv

sync: bootstrap  ## Create or update .venv from uv.lock
	@$(UV) sync --frozen --quiet

dev: sync  ## Run the whole platform on embedded Postgres, Redis, SMTP and Caddy
	@$(UV) run --frozen python -m devstack

dev-reset: sync  ## Wipe .devstack/ (all local data)
	@$(UV) run --frozen python -m devstack reset

test: sync  ## Run every test suite against real Postgres and Redis
	@failed=(); \
	for suite in $(SUITES); do \
	  echo "=== $$suite"; \
	  (cd $$suite && $(UV) run --frozen pytest $(PYTEST_ARGS)) || failed+=("$$suite"); \
	done; \
	if [ $${#failed[@]} -gt 0 ]; then echo "FAILED: $${failed[*]}"; exit 1; fi; \
	echo "All suites passed."

lint: sync  ## ruff check, ruff format --check, mypy
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	@for pkg in $(TYPED); do \
	  echo "mypy $$pkg"; \
	  (cd $$pkg && $(UV) run --frozen mypy .) || exit 1; \
	done

format: sync  ## Apply ruff's fixes and formatting
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

proto: sync  ## Regenerate libs/contracts from proto/
	$(UV) run --frozen python libs/contracts/protogen.py

proto-check: sync  ## Fail when libs/contracts is stale against proto/
	$(UV) run --frozen python libs/contracts/protogen.py --check

chart-test: sync  ## Helm chart, Dockerfile, entrypoint and docker-compose.yml checks (offline)
	cd deploy && $(UV) run --frozen pytest $(PYTEST_ARGS)

.PHONY: bench bench-quick

bench: sync  ## Measure Strata against its baselines and print the budget table (a few minutes)
	$(UV) run --frozen python -m bench

bench-quick: sync  ## Smoke check: every benchmark scenario runs once, briefly (no timing verdicts)
	$(UV) run --frozen python -m bench --quick
