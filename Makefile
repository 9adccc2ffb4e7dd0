# naap-warehouse: `make run` for the main job on the embedded defaults, `make test` for the suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_DATA ?= data/bench-history
BACKFILL_DATA ?= data/bench-backfill
BACKFILL_DAYS ?= 30

.PHONY: setup run test test-fast lint format bench broker dagster publish serve metadata chromium clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m orchestration.manifest
	@touch $@

run: setup
	$(BIN)/naap run

# Two workers (the machine's two cores), each running whole modules, the longest first (tests/conftest.py).
test: setup chromium
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder

# The tests marked slow (dbt builds, Dagster runs, `naap run`, the browser) left out: under 3 minutes.
test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

# The explorer's browser tests drive Debian's Chromium (Playwright downloads no browser here).
chromium:
	@[ -x /usr/bin/chromium ] || { apt-get update -qq && apt-get install -y -qq chromium; } \
		|| echo "chromium could not be installed: the browser tests will skip"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# bench_publish builds a simulated week (3.7M events) into BENCH_DATA; bench_explorer serves the same data.
# bench_backfill (about 60 min) backfills BACKFILL_DAYS network days (34M events for 30) and times micro-batches on them.
# bench_api times every /v1 endpoint on the backfilled history, uncached, at 1 and 10 connections.
# bench_freshness (about 35 min) runs the live service on a simulated day and measures freshness.
bench: setup
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python tests/benchmarks/bench_ingest.py
	$(BIN)/python tests/benchmarks/bench_build.py
	rm -rf $(BENCH_DATA)
	$(BIN)/python tests/benchmarks/bench_publish.py --days 7 --scale 0.5 --data-dir $(BENCH_DATA)
	$(BIN)/python tests/benchmarks/bench_explorer.py --data-dir $(BENCH_DATA)
	$(BIN)/python tests/benchmarks/bench_rate_limit.py
	rm -rf $(BACKFILL_DATA)
	$(BIN)/python tests/benchmarks/bench_backfill.py --days $(BACKFILL_DAYS) --data-dir $(BACKFILL_DATA)
	$(BIN)/python tests/benchmarks/bench_api.py --data-dir $(BACKFILL_DATA)
	$(BIN)/python tests/benchmarks/bench_freshness.py --hours 24 --minutes 30

broker: setup
	$(BIN)/naap broker

dagster: setup
	$(BIN)/naap dagster

publish: setup
	$(BIN)/naap publish

serve: setup
	$(BIN)/naap serve

# Regenerates datasette/metadata.yml from datasette/source/*.yml and the dbt mart YAML.
metadata: setup
	$(BIN)/python -m ingest.explorer.metadata

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache tests/artifacts
