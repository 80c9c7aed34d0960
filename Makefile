# Two entry points for a newcomer (see README): `make demo` and `make test`.
# Both create a virtual environment in .venv with the project installed; nothing is installed globally.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXAMPLE := examples/kreative-partnerskaber

.PHONY: demo test lint venv clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed-run

venv: $(VENV)/.installed-run

## Install and run the main job on the bundled example call.
demo: $(VENV)/.installed-run
	$(BIN)/selection validate $(EXAMPLE)
	$(BIN)/selection run $(EXAMPLE)

## Install the test dependencies and run the whole test suite (what CI runs).
test: $(VENV)/.installed-test
	$(BIN)/python -m ruff check selection tests benchmarks examples
	$(BIN)/python -m mypy selection
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/python -m ruff check selection tests benchmarks examples

clean:
	rm -rf $(VENV) build *.egg-info
