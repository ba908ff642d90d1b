# Developer entry points. `make run` is the whole local stack: SQLite + a filesystem broker under
# $(PRM_DATA_DIR) (default ./var), a Celery worker and beat — no Postgres or Redis needed.
# Production runs differently: see docs/operations.md, Procfile and docker-compose.yml.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
PORT ?= 8000
PYTEST_ARGS ?= -q -n 2 --dist loadfile

VENV := .venv
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

# setup/demo/run (and what they build) use the embedded local settings; `test` uses the pytest
# settings. Target-specific, so a DJANGO_SETTINGS_MODULE left in the shell cannot leak across.
setup demo run: export DJANGO_SETTINGS_MODULE := prm.settings.local
test: export DJANGO_SETTINGS_MODULE := prm.settings.test
run: export PYTHONUNBUFFERED := 1
# Links in emails sent by `make run` point at the port actually served.
run: export PRM_URL_PORT := $(PORT)

.PHONY: help venv frontend setup demo run test lint fmt clean

help:
	@echo "make setup   install Python + front-end dependencies, migrate, collectstatic"
	@echo "make demo    setup + demo tenants and users (prints the logins)"
	@echo "make run     demo + web on 127.0.0.1:$(PORT), Celery worker and beat"
	@echo "make test    run the test suite (PYTEST_ARGS='$(PYTEST_ARGS)')"
	@echo "make lint    ruff check + ruff format --check + layer contract;  make fmt  to fix"
	@echo "make clean   remove var/ and staticfiles/"

# --- Python -------------------------------------------------------------------------------------
venv: $(VENV_STAMP)

# Re-installs only when pyproject.toml changes; an existing .venv is reused, never recreated.
# NOTE: Debian's python3 lacks ensurepip unless python3-venv is installed; then fall back to a
# pip-less venv and install pip into it with the system pip (pip >= 22.3 has --python).
$(VENV_STAMP): pyproject.toml
	@if [ ! -x $(PY) ]; then \
		echo ">>> creating $(VENV) with $$($(PYTHON) --version)"; \
		$(PYTHON) -m venv $(VENV) || { \
			echo ">>> 'python3 -m venv' failed (no ensurepip?); bootstrapping pip with the system pip"; \
			rm -rf $(VENV); \
			$(PYTHON) -m venv --without-pip $(VENV); \
			$(PYTHON) -m pip --python $(PY) install --quiet pip; \
		}; \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

# --- Front end ----------------------------------------------------------------------------------
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# `npm run build` copies the pinned packages into static/vendor; cheap, so always run.
frontend: $(NODE_STAMP)
	npm run build

# --- Local stack --------------------------------------------------------------------------------
setup: venv frontend
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput -v0

demo: setup
	$(MANAGE) seed_demo

run: demo
	@echo
	@echo "  PRM is starting (Ctrl-C stops web, worker and beat):"
	@echo "    tenant Acme     http://acme.localhost:$(PORT)"
	@echo "    tenant Globex   http://globex.localhost:$(PORT)"
	@echo "    platform        http://localhost:$(PORT)"
	@echo "    dev mailbox     http://localhost:$(PORT)/dev/mailbox/"
	@echo "    health          http://localhost:$(PORT)/healthz"
	@echo
	@# exec: make's SIGTERM (make forwards it to its child) and Ctrl-C reach the process manager
	@# itself, which stops web, worker and beat and waits for them (scripts/devstack.py).
	exec $(PY) scripts/devstack.py start -f Procfile.dev --port $(PORT)

# --- Quality ------------------------------------------------------------------------------------
# Tests render templates that reference static/vendor, hence `frontend`.
test: venv frontend
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

fmt: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Only the default data folder: a custom PRM_DATA_DIR is never deleted from here.
clean:
	rm -rf var/ staticfiles/
