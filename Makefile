# The two commands a new user needs: `make run` and `make test`.
VENV      := .venv
BIN       := $(VENV)/bin
PY        := $(BIN)/python
STAMP     := $(VENV)/.installed
MANAGE    := $(PY) manage.py
export DJANGO_SETTINGS_MODULE ?= cms.settings.dev

.PHONY: help setup install bytecode run test lint lock format clean bench screenshots

help:
	@echo "make run    set everything up; run the CMS (:8000/admin/) and the site (:8080)"
	@echo "make test   install what the tests need and run the whole suite"
	@echo "make setup  set up only (venv, install, migrate, admin user, sample content)"
	@echo "make bench  publishing at scale (1,000 and 10,000 pages) and 20 editors at once"
	@echo "make screenshots  the reader's pages in Chromium, light and dark (var/screenshots/)"

$(PY):
	@python=$$(scripts/find-python) && echo "Using $$python" && $$python -m venv $(VENV)

# Install the locked versions; reinstall only when the lock changes. The project itself is
# installed editable, so that a code change needs no reinstall.
$(STAMP): requirements-dev.lock pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

install: $(STAMP)

# Compile the project's own modules ahead (pip compiles the installed packages): the suite and
# `make run` start dozens of Python processes, and where PYTHONDONTWRITEBYTECODE is set, each
# would compile them again (about 0.4 s of CPU a process).
bytecode: install
	@$(PY) -m compileall -q -j0 cms content_export site_builder tests bench >/dev/null

setup: bytecode
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) setup_site
	$(MANAGE) import_markdown sample_content --publish

run: setup
	scripts/run-local

test: bytecode
	DJANGO_SETTINGS_MODULE=cms.settings.test $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pip check

# Pin every dependency again from the ranges in pyproject.toml (after changing them).
LOCK := $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.12 --quiet --no-header
lock: install
	$(LOCK) --extra s3 --upgrade -o requirements.lock
	$(LOCK) --extra s3 --extra dev -c requirements.lock -o requirements-dev.lock

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var public .pytest_cache

# Full-page screenshots of the reader's pages, light and dark, 390 and 1280 px wide.
screenshots: install
	$(PY) -m bench screenshots

# Publishing at scale: sites of 1,000 and 10,000 solution pages, then 20 editors at once on
# PostgreSQL (needs ../shared/corpus).
bench: install
	$(PY) -m bench scale $(BENCH_ARGS)
	$(PY) -m bench editors
