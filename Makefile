# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test setup lint clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# torch first, pinned, so pip takes the CPU build; then the project with its dev and ray extras.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[dev,ray]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/neurofab reproduce --all --quick --out results

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# the suite spread over the machine's cores (pytest-xdist); `$(BIN)/pytest -q` runs it in one process
test: lint
	$(BIN)/pytest -q -n auto --dist worksteal

clean:
	rm -rf $(VENV) results .pytest_cache
