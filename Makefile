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
test lint: export DJANGO_SETTINGS_MODULE := prm.settings.test
run: export PYTHONUNBUFFERED := 1
# Links in emails sent by `make run`, and the demo's printed addresses, use the port served
# (`make run PORT=8101`).
demo run: export PRM_URL_PORT := $(PORT)

.PHONY: help venv lock lock-check frontend setup demo run test lint fmt clean

help:
	@echo "make setup   install Python + front-end dependencies, migrate, collectstatic"
	@echo "make demo    setup + demo tenants and users (prints the logins)"
	@echo "make run     demo + web on 127.0.0.1:$(PORT) (make run PORT=8101: another port), Celery worker and beat"
	@echo "make test    run the test suite (PYTEST_ARGS='$(PYTEST_ARGS)')"
	@echo "make lint    ruff check + ruff format --check + layer contract + makemigrations --check;  make fmt  to fix"
	@echo "make lock    re-pin requirements/*.txt (with hashes) after editing pyproject.toml"
	@echo "make clean   remove var/ and staticfiles/"

# --- Python -------------------------------------------------------------------------------------
# requirements/dev.txt (everything `make` needs: runtime + tests + tools) and requirements/main.txt
# (runtime only: the Docker image) pin every package with its hashes. Both are written by
# `make lock` from pyproject.toml; the venv is synced to the lock, never resolved on its own.
LOCK_DEV := requirements/dev.txt
LOCK_MAIN := requirements/main.txt
UV := $(VENV)/bin/uv
# `make lock LOCK_ARGS=--upgrade` (or --upgrade-package NAME) to move pins forward.
LOCK_ARGS ?=
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet \
	--custom-compile-command "make lock"

venv: $(VENV_STAMP)

# Re-syncs when the lock changes (adds, upgrades AND removes packages); an existing .venv is reused.
# uv comes from the lock too (its pinned version and hashes), installed with the venv's own pip.
# NOTE: Debian's python3 lacks ensurepip unless python3-venv is installed; then fall back to a
# pip-less venv and install pip into it with the system pip (pip >= 22.3 has --python).
$(VENV_STAMP): $(LOCK_DEV)
	@if [ ! -x $(PY) ]; then \
		echo ">>> creating $(VENV) with $$($(PYTHON) --version)"; \
		$(PYTHON) -m venv $(VENV) || { \
			echo ">>> 'python3 -m venv' failed (no ensurepip?); bootstrapping pip with the system pip"; \
			rm -rf $(VENV); \
			$(PYTHON) -m venv --without-pip $(VENV); \
			$(PYTHON) -m pip --python $(PY) install --quiet pip; \
		}; \
	fi
	@if [ ! -x $(UV) ]; then \
		echo ">>> installing uv into $(VENV) (version and hashes from $(LOCK_DEV))"; \
		awk '/^uv==/ {p=1; print; next} p && /^ / {print; next} {p=0}' $(LOCK_DEV) > $(VENV)/uv.txt; \
		$(PY) -m pip install --quiet --require-hashes --no-deps -r $(VENV)/uv.txt; \
	fi
	$(UV) pip sync --quiet --python $(PY) --require-hashes $(LOCK_DEV)
	@touch $@

# After editing pyproject.toml's dependencies: re-resolve both lock files (dev first, then main
# constrained to it, so the image runs the versions the tests ran), then `make venv` syncs.
lock: $(VENV_STAMP)
	$(UV) pip compile pyproject.toml --extra dev $(LOCK_FLAGS) $(LOCK_ARGS) -o $(LOCK_DEV)
	$(UV) pip compile pyproject.toml -c $(LOCK_DEV) $(LOCK_FLAGS) $(LOCK_ARGS) -o $(LOCK_MAIN)
	@echo ">>> locked; 'make venv' installs it. Commit pyproject.toml and requirements/ together."

# CI: fails when pyproject.toml and the lock files disagree (someone edited one without
# `make lock`). Re-locks into a temporary copy, keeping the current pins as preferences.
lock-check: $(VENV_STAMP)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp $(LOCK_DEV) $(LOCK_MAIN) "$$tmp/"; \
	$(UV) pip compile pyproject.toml --extra dev $(LOCK_FLAGS) -o "$$tmp/dev.txt"; \
	$(UV) pip compile pyproject.toml -c $(LOCK_DEV) $(LOCK_FLAGS) -o "$$tmp/main.txt"; \
	if ! diff -u $(LOCK_DEV) "$$tmp/dev.txt" || ! diff -u $(LOCK_MAIN) "$$tmp/main.txt"; then \
		echo "ERROR: requirements/ does not match pyproject.toml: run 'make lock'" >&2; exit 1; \
	fi; \
	echo "lock files match pyproject.toml"

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

# makemigrations --check: a model change without its migration fails here (and so in CI).
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(MANAGE) makemigrations --check --dry-run

fmt: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Only the default data folder: a custom PRM_DATA_DIR is never deleted from here.
clean:
	rm -rf var/ staticfiles/
