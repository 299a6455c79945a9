# soskulib: the two commands a new user needs are `make reports` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
BUILD_FLAGS ?=
SOSKU := $(VENV)/bin/sosku
export PYTHONHASHSEED := 0

.PHONY: reports test lint bench clean venv

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $@

venv: $(VENV)/.installed

reports: $(VENV)/.installed
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(SOSKU) build $(BUILD_FLAGS)

test: $(VENV)/.installed-test
	$(PY) -m ruff check soskulib tests benchmarks
	$(PY) -m pytest -n 2 --dist loadscope tests
	$(SOSKU) prepare --raw data/raw/demo --out data/processed
	$(PY) -m pytest -n 2 --dist loadscope --nbval-lax notebooks
	$(PY) tests/golden/run_golden.py

bench: $(VENV)/.installed
	$(PY) -m benchmarks

clean:
	rm -rf data/processed/* reports
