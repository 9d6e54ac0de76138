# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
export FLASK_APP := wsgi

.PHONY: run test system system-run install install-dev db demo lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## The Debian packages (scripts/system-deps): installed as root, else the `sudo apt-get` line.
## `system` is the test profile (+ chromium, postgresql); `make run` needs only `system-run`.
system:
	@PYTHON=$(PYTHON) scripts/system-deps test

system-run:
	@PYTHON=$(PYTHON) scripts/system-deps run

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

db: install
	$(FLASK) db upgrade

## Serve the portal with the demo territory on http://127.0.0.1:5000 (SQLite under instance/).
run: system-run db
	$(FLASK) demo load --if-empty
	$(FLASK) run --host 127.0.0.1 --port 5000

## Run the whole test suite (SQLite by default; TEST_DATABASE_URL=postgresql://… for PostgreSQL).
test: system install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check app matching tests bench

bench: install
	$(BIN)/python bench/bench_cotation.py
	$(BIN)/python bench/bench_eligibility.py

clean:
	rm -rf $(VENV) instance/*.sqlite3 .pytest_cache
