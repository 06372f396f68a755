# Two entry points, each setting up (or reusing) the project's virtualenv first:
#   make tour   - the reviewer's tour of what the project does today
#   make test   - every quality gate: ruff, mypy --strict, import contracts, pytest
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready

.PHONY: tour test venv lint typecheck contracts pytest clean

venv: $(READY)

$(READY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

tour: $(READY)
	$(BIN)/netsplit tour

test: lint typecheck contracts pytest

lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(READY)
	$(BIN)/mypy

contracts: $(READY)
	@if [ -f .importlinter ]; then $(BIN)/lint-imports; else echo "no import contracts yet"; fi

pytest: $(READY)
	$(BIN)/pytest -n auto

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .hypothesis
