# The two commands a newcomer needs: `make run` and `make test` (see README).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false
PORT ?= 3000

.PHONY: run test install lint unit integration e2e bench clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

install: $(VENV)/.installed

## Serve the console at http://localhost:$(PORT) on the embedded SQLite database (demo data in dev).
run: install
	CONSOLE_ENV=$${CONSOLE_ENV:-dev} $(PY) -m console setup
	CONSOLE_ENV=$${CONSOLE_ENV:-dev} $(VENV)/bin/reflex run --env prod --single-port \
		--backend-port $(PORT) --frontend-port $(PORT)

## Everything CI runs: lint, import contracts, unit, integration (SQLite + PostgreSQL), browser.
test: install
	scripts/test.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

unit: install
	$(PY) -m pytest tests/unit -q

integration: install
	$(PY) -m pytest tests/integration -q

e2e: install
	$(PY) -m pytest tests/e2e -q

bench: install
	$(PY) -m console bench

clean:
	rm -rf .web .states test-artifacts
