# leadqual's everyday commands. Nothing here needs an activated virtualenv:
# every tool runs from .venv/bin, which `make` creates and keeps installed.
#
#   make demo    create .venv with the app only, migrate, load demo data, serve on
#                http://127.0.0.1:8000/
#   make test    the whole test suite (SQLite, or PostgreSQL when DATABASE_URL is set)
#   make lint    ruff check, ruff format --check, mypy --strict, makemigrations --check,
#                lint-imports (layers point down, no import cycles inside an app)
#   make fmt     ruff format and ruff check --fix
#   make bench   every benchmarks/bench_*.py in turn

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
LEADQUAL := $(VENV)/bin/leadqual
# Reinstalled only when pyproject.toml is newer than these stamps. STAMP: the
# app and the development tools (tests, linters, Playwright: ~560 MB);
# APP_STAMP: the app alone (~200 MB), all `make demo` needs.
STAMP := $(VENV)/.install-stamp
APP_STAMP := $(VENV)/.app-install-stamp

DEMO_ENV = LEADQUAL_DATA_DIR=./leadqual-data LEADQUAL_SECRET_KEY_FILE=$(shell mkdir -p -m 700 leadqual-data && { test -s leadqual-data/secret-key || (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(50))' > leadqual-data/secret-key); } && echo leadqual-data/secret-key)
# Two workers (pytest-xdist): each gets its own test database (test_test_gw0, ...).
# Run serially with: make test PYTEST_ARGS=
PYTEST_ARGS ?= -n 2

.PHONY: help demo test lint fmt bench

help:
	@echo "make demo   - install into .venv, migrate, load demo data and serve http://127.0.0.1:8000/"
	@echo "make test   - run the test suite (set DATABASE_URL to run it on PostgreSQL)"
	@echo "make lint   - ruff check, ruff format --check, mypy, makemigrations --check"
	@echo "make fmt    - ruff format and ruff check --fix"
	@echo "make bench  - run every benchmarks/bench_*.py"

# Python 3.11: python3.11 if it is on the PATH, otherwise python3 if that is 3.11.
# A half-made .venv is removed, so the next run starts clean.
$(PY):
	@py="$$(command -v python3.11 || true)"; \
	if [ -z "$$py" ]; then \
		if python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
			py=python3; \
		else \
			echo "leadqual needs Python 3.11: install python3.11 (python3 here is $$(python3 --version 2>&1))." >&2; \
			exit 1; \
		fi; \
	fi; \
	echo "Creating $(VENV) with $$py ($$($$py --version 2>&1))"; \
	"$$py" -m venv $(VENV) || { rm -rf $(VENV); echo "Could not create $(VENV) with $$py -m venv (on Debian: apt-get install python3.11-venv)." >&2; exit 1; }

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP) $(APP_STAMP)

# The app's own dependencies only; a .venv made by `make test` has them already.
$(APP_STAMP): pyproject.toml | $(PY)
	@if [ $(STAMP) -nt pyproject.toml ]; then \
		touch $(APP_STAMP); \
	else \
		echo "Installing leadqual and its dependencies into $(VENV) (not the development tools)"; \
		$(PY) -m pip install --disable-pip-version-check -e . \
			&& touch $(APP_STAMP); \
	fi

# leadqual's commands are quiet (progress and a summary); add --verbose to a
# command to see its log lines.
demo: $(APP_STAMP)
	$(DEMO_ENV) $(LEADQUAL) migrate --verbosity 0
	$(DEMO_ENV) $(LEADQUAL) demo-data
	$(DEMO_ENV) $(LEADQUAL) serve --host 127.0.0.1 --port 8000

# pytest exits with 5 when it collected no tests: that is a failure, and says so.
test: $(STAMP)
	@status=0; $(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then \
		echo "make test: FAILED, pytest collected no tests (exit code 5)." >&2; \
	fi; \
	exit $$status

# Every check runs, so one run reports every problem; the target fails if any did.
# mypy's Django plugin and makemigrations import the settings: they get a
# development configuration with a throwaway data directory.
lint: $(STAMP)
	@status=0; data_dir="$$(mktemp -d)"; \
	export LEADQUAL_DEBUG=true LEADQUAL_DATA_DIR="$$data_dir"; \
	echo "--- ruff check"; $(VENV)/bin/ruff check . || status=1; \
	echo "--- ruff format --check"; $(VENV)/bin/ruff format --check --output-format concise . || status=1; \
	echo "--- mypy"; $(VENV)/bin/mypy src/leadqual tests benchmarks || status=1; \
	echo "--- makemigrations --check"; $(LEADQUAL) makemigrations --check --dry-run || status=1; \
	echo "--- lint-imports (the layers of README's Architecture)"; $(VENV)/bin/lint-imports --no-cache || status=1; \
	rm -rf "$$data_dir"; \
	if [ $$status -ne 0 ]; then echo "make lint: FAILED (see above)." >&2; fi; \
	exit $$status

fmt: $(STAMP)
	@status=0; \
	$(VENV)/bin/ruff format . || status=1; \
	$(VENV)/bin/ruff check --fix . || status=1; \
	$(VENV)/bin/ruff format --quiet . || status=1; \
	exit $$status

bench: $(STAMP)
	@shopt -s nullglob; scripts=(benchmarks/bench_*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "No benchmarks/bench_*.py scripts found." >&2; exit 1; fi; \
	for script in "$${scripts[@]}"; do \
		echo "=== $$script"; \
		PYTHONPATH=. $(PY) "$$script" || exit 1; \
	done
