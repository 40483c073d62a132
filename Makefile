# agent-router: every target installs what it needs on a fresh machine.
PYTHON ?= python3
VENV := .venv
VENV_MAX := .venv-max
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
# pip's own notices only add noise to CI logs
PIP_FLAGS := --disable-pip-version-check -q

.PHONY: install install-max run test lint unit fuzz bench model clean promtool

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml requirements/lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) -c requirements/lock.txt -e '.[dev]'
	touch $@

install-max: $(VENV_MAX)/.installed
# MAX Serve lives in its own environment: its pins (opentelemetry, fastapi) clash with LiteLLM's.
$(VENV_MAX)/.installed: requirements/max-serve.txt
	$(PYTHON) -m venv $(VENV_MAX)
	$(VENV_MAX)/bin/pip install $(PIP_FLAGS) -c requirements/max-serve.txt modular==26.7.0
	touch $@

# The main job: three MAX Serve echo backends + the LiteLLM proxy with the bundle on :4000.
run: install install-max
	$(BIN)/python -m scripts.run_stack

# Debian's `prometheus` package: promtool (config/rule checks) and the server the tests scrape with.
# `--no-install-recommends`: the exporters it recommends are not needed. sudo when not root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
promtool:
	@command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }

lint: install
	$(BIN)/ruff check plugins router_hooks scripts tests
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -q -m "not integration"

# The whole suite, as CI runs it.
test: install install-max promtool lint
	$(BIN)/pytest -q -ra --durations=15

# The fuzz suite with 10x CI's count of generated requests (FUZZ_EXAMPLES overrides it).
FUZZ_EXAMPLES ?= 10000
fuzz: install install-max
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q -s tests/test_fuzz_integration.py

# Loopback benchmark against an instant stub backend (no MAX Serve needed); writes bench/results.json.
bench: install
	$(BIN)/python -m scripts.bench

# The learned classifier's artifact (plugins/models/intent-v1), offline and deterministic; torch,
# model2vec and scikit-learn live only in this build environment, never in the proxy's.
VENV_BUILD := .venv-build
$(VENV_BUILD)/.installed: requirements/build.txt requirements/build-lock.txt
	$(PYTHON) -m venv $(VENV_BUILD)
	$(VENV_BUILD)/bin/pip install $(PIP_FLAGS) -c requirements/build-lock.txt torch
	$(VENV_BUILD)/bin/pip install $(PIP_FLAGS) -c requirements/build-lock.txt -r requirements/build.txt
	touch $@

model: $(VENV_BUILD)/.installed
	$(VENV_BUILD)/bin/python scripts/build_model.py

clean:
	rm -rf $(VENV) $(VENV_MAX) .run .pytest_cache .mypy_cache .ruff_cache
