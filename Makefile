# soskulib: the two commands a new user needs are `make reports` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
BUILD_FLAGS ?=
REPRO_DIR := reports_again
REPRO_FLAGS ?=
SOSKU := $(VENV)/bin/sosku
export PYTHONHASHSEED := 0

# Exact versions with hashes (see CONTRIBUTING.md, "Dependencies and the lock files").
# LOCKED=0 installs from pyproject.toml's lower bounds instead (newest releases, unlocked).
LOCKED ?= 1
LOCK := requirements.lock
TEST_LOCK := requirements-test.lock
# The lock is resolved for this interpreter and platform; `make lock` needs only PyPI.
UV_VERSION := 0.13.8
LOCK_FLAGS := --generate-hashes --python-version 3.11 --python-platform linux \
	--annotation-style line --custom-compile-command "make lock"

.PHONY: reports test lint bench clean venv lock lock-upgrade reproducible

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

ifeq ($(LOCKED),1)
$(VENV)/.installed: $(VENV)/bin/python pyproject.toml $(LOCK)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed $(TEST_LOCK)
	$(PY) -m pip install --quiet --require-hashes -r $(TEST_LOCK)
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $@
else
$(VENV)/.installed: $(VENV)/bin/python pyproject.toml
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[test]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $@
endif

venv: $(VENV)/.installed

# The build's kernels are this environment's python3: its kernel spec is written once per
# install (a Python start of its own on every `make reports` before).
KERNEL_SPEC := $(VENV)/share/jupyter/kernels/python3/kernel.json
$(KERNEL_SPEC): $(VENV)/.installed
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null

reports: $(KERNEL_SPEC)
	$(SOSKU) build $(BUILD_FLAGS)

# Reproducibility check (README, "Reproducible builds"): build the demo site twice from the same
# processed data and compare; CSVs must be byte-identical, pages identical but for the build time.
reproducible: reports
	rm -rf $(REPRO_DIR)
	$(SOSKU) report --out $(REPRO_DIR) $(REPRO_FLAGS)
	$(PY) -m soskulib.provenance reports $(REPRO_DIR)

test: $(VENV)/.installed-test
	$(PY) -m ruff check soskulib tests benchmarks
	$(PY) -m pytest -n 2 --dist loadscope tests
	$(SOSKU) prepare --raw data/raw/demo --out data/processed
	$(PY) -m pytest -n 2 --dist loadscope --nbval-lax notebooks
	$(PY) tests/golden/run_golden.py

# Re-resolve both lock files from pyproject.toml. Pins already in the lock are kept while
# pyproject.toml still allows them, so adding a dependency changes only what it needs;
# `make lock-upgrade` moves every package to its newest allowed release.
$(VENV)/bin/uv: $(VENV)/bin/python
	$(PY) -m pip install --quiet "uv==$(UV_VERSION)"

lock: $(VENV)/bin/uv
	$(VENV)/bin/uv pip compile --quiet pyproject.toml --extra test $(LOCK_FLAGS) $(UV_ARGS) -o $(TEST_LOCK)
	$(VENV)/bin/uv pip compile --quiet pyproject.toml --constraint $(TEST_LOCK) $(LOCK_FLAGS) $(UV_ARGS) -o $(LOCK)
	@echo "make lock: wrote $(TEST_LOCK) and $(LOCK); run the tests, commit pyproject.toml, environment.yml and both lock files together"

lock-upgrade:
	$(MAKE) lock UV_ARGS=--upgrade

bench: $(VENV)/.installed
	$(PY) -m benchmarks

clean:
	rm -rf data/processed/* reports $(REPRO_DIR)
