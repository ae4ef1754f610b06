# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

LOCK := requirements.lock

.PHONY: install lock run test lint format migrations-check imports-check typecheck clean

# Exactly the versions of the lock (runtime and dev, checked against their hashes), then the
# project itself without resolving anything again; `pip check` fails if pyproject.toml asks
# for something the lock lacks (run `make lock`).
$(BIN)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	touch $@

# axe-core for the browser tests' accessibility check; without npm those tests skip.
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --silent --no-audit --no-fund; \
	else echo "npm not found: the browser tests will skip"; fi

install: $(BIN)/.installed node_modules/.package-lock.json

## Pin every dependency of pyproject.toml (runtime and dev; Python 3.11 on Linux; with hashes)
## into requirements.lock; kept pins stay, LOCK_ARGS=--upgrade (or --upgrade-package NAME) moves them
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv>=0.13,<0.14'
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --python-platform linux \
	  --generate-hashes --custom-compile-command 'make lock' --quiet --output-file $(LOCK) $(LOCK_ARGS)

## Install, migrate, build the demo data and serve the app on http://127.0.0.1:8000
run: install
	$(BIN)/python manage.py compiletranslations
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST)

## Run the whole test suite (SQLite by default; set DATABASE_URL for PostgreSQL)
test: install
	$(BIN)/python manage.py compiletranslations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

## The apps' layers, the cycles inside each app, and no web modules below the services
imports-check: install
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .pytest_cache node_modules artifacts

## Benchmarks on a dedicated PostgreSQL database, created and dropped by the runner
## (SCALE=tiny|small|city|province, city by default; BENCH_DATABASE_URL to choose the server/name);
## prints the table and writes bench/RESULTS.md
SCALE ?= city
.PHONY: bench
bench: install
	$(BIN)/python -m bench.run --scale $(SCALE)
