# jiuye — the two commands a new user needs are `make demo` and `make test`.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
DEMO_PERSONS ?= 20000
HOST   ?= 127.0.0.1:8000

.PHONY: install demo serve test test-pg test-citus lint bench screenshots clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

## make demo: install, create the embedded SQLite database, load a synthetic district, serve it
## (as `make serve` does: gunicorn and the background workers; DEBUG off, so a visitor sees the
## error pages a user would, never Django's debug pages, unless JIUYE_DEBUG says otherwise)
demo: install
	$(BIN)/jiuye migrate --noinput
	$(BIN)/jiuye demo --persons $(DEMO_PERSONS) --address $(HOST)
	@echo "serving on http://$(HOST)/  (Ctrl-C to stop)"
	JIUYE_DEBUG=$${JIUYE_DEBUG:-0} BIN=$(BIN) scripts/serve.sh $(HOST)

## make serve: as production does (docs/serving.md): migrate, collect the static files, run
## gunicorn (4 processes x 2 threads) and the background workers (jiuye db_worker) until
## Ctrl-C; DEBUG off unless JIUYE_DEBUG says otherwise
serve: install
	$(BIN)/jiuye migrate --noinput
	JIUYE_DEBUG=$${JIUYE_DEBUG:-0} BIN=$(BIN) scripts/serve.sh $(HOST)

## make test: install and run the whole suite (SQLite; set DATABASE_URL for PostgreSQL)
test: install
	scripts/ensure-system-deps.sh
	$(BIN)/pytest

## the suite against a throw-away PostgreSQL 15 server on a loopback port
test-pg: install
	scripts/ensure-system-deps.sh
	scripts/with-pg.sh $(MAKE) test

## the suite against a throw-away Citus cluster (a coordinator and two workers, loopback ports
## from JIUYE_CITUS_PORT, default 55450); the test database is distributed as a province's is
test-citus: install
	scripts/ensure-system-deps.sh
	scripts/with-citus.sh $(MAKE) test

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## make screenshots: each role's main pages on a small demo district, in Debian's Chromium,
## into docs/screenshots/ (the README shows them)
screenshots: install
	scripts/ensure-system-deps.sh
	JIUYE_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q -p no:cacheprovider tests/web/test_screenshots.py

## make bench: synthetic data at the issues' sizes on PostgreSQL; writes bench/RESULTS.md.
## The province on Citus (issue 18) only when asked, e.g. make bench BENCH_ARGS="--province-persons
## 10000000 --province-districts 10 --province-only" (bench/province.py; its own RESULTS.md section)
bench: install
	scripts/ensure-system-deps.sh
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf var bench/work .pytest_cache .mypy_cache .ruff_cache
