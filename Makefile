# Two entry points for a fresh clone: `make demo` runs Frister, `make test` runs the suite.
# Each creates .venv and installs what it needs on first use.
# A Python 3.12 or newer: found by deploy/find-python unless given (make PYTHON=python3.13).
PYTHON ?=
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test faults lint serve catalog clean bench bench-planning bench-apscheduler bench-delivery \
	bench-import bench-serve bench-replicas bench-slash bench-screening bench-workers

$(BIN)/frister: pyproject.toml
	@python="$$(deploy/find-python $(PYTHON))" || exit 1; \
		echo "$$python -m venv $(VENV)"; "$$python" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/frister
	$(BIN)/frister demo

test: $(BIN)/frister
	$(BIN)/python -m pytest

# The fault suite alone, with each test's counts (due / delivered / lost / duplicates).
faults: $(BIN)/frister
	$(BIN)/python -m pytest tests/faults -s -q

lint: $(BIN)/frister
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

serve: $(BIN)/frister
	$(BIN)/frister serve

# Re-extract user-facing strings and merge them into the catalogs (then translate the new ones).
catalog: $(BIN)/frister
	$(BIN)/pybabel extract --no-location --no-wrap --sort-output -k _ -k N_ -k ngettext:1,2 \
		-o bot/locale/frister.pot bot handlers storage
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete --no-wrap -i bot/locale/frister.pot \
		-d bot/locale -D frister

# Benchmarks (benchmarks/README.md): each prints its figures; `make bench` runs them all
# (about 30 minutes on 2 cores; PostgreSQL at FRISTER_BENCH_DATABASE_URL or the test URL).
$(VENV)/.bench: $(BIN)/frister
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench: bench-planning bench-apscheduler bench-slash bench-delivery bench-import bench-serve \
	bench-replicas bench-screening bench-workers

bench-planning: $(VENV)/.bench
	$(BIN)/python -m benchmarks.planning

bench-apscheduler: $(VENV)/.bench
	$(BIN)/python -m benchmarks.versus_apscheduler

bench-slash: $(VENV)/.bench
	$(BIN)/python -m benchmarks.slash_commands

bench-delivery: $(VENV)/.bench
	$(BIN)/python -m benchmarks.delivery

bench-import: $(VENV)/.bench
	$(BIN)/python -m benchmarks.importing

bench-serve: $(VENV)/.bench
	$(BIN)/python -m benchmarks.serve_memory

bench-replicas: $(VENV)/.bench
	$(BIN)/python -m benchmarks.replicas

bench-screening: $(VENV)/.bench
	$(BIN)/python -m benchmarks.screening

bench-workers: $(VENV)/.bench
	$(BIN)/python -m benchmarks.workers

clean:
	rm -rf $(VENV) frister.db .pytest_cache .hypothesis
