# Two entry points for a fresh clone: `make demo` runs Frister, `make test` runs the suite.
# Each creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint serve catalog clean

$(BIN)/frister: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/frister
	$(BIN)/frister demo

test: $(BIN)/frister
	$(BIN)/python -m pytest

lint: $(BIN)/frister
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

serve: $(BIN)/frister
	$(BIN)/frister serve

# Re-extract user-facing strings and merge them into the catalogs (then translate the new ones).
catalog: $(BIN)/frister
	$(BIN)/pybabel extract --no-location --sort-output -k _ -k N_ -k ngettext:1,2 \
		-o bot/locale/frister.pot bot handlers storage
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i bot/locale/frister.pot \
		-d bot/locale -D frister

clean:
	rm -rf $(VENV) frister.db .pytest_cache .hypothesis
