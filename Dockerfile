# syntax=docker/dockerfile:1
# The LiteLLM proxy image at the version the project is tested with, plus the agent-router bundle
# installed from this repository the way the README installs it (`pip install .`, not editable).
# Built by `docker compose build litellm`; checked by tests/test_compose.py.
# 1.108.7: the version requirements/lock.txt installs, on which the whole suite runs (the image is
# the artifact those tests describe). The bundle supports >=1.108.7,<1.111 (`make compat` runs the
# contract test, the unit tests and tests/test_compat_integration.py on 1.110.2): to build on a
# newer LiteLLM image, pass `--build-arg LITELLM_VERSION=<version>` (the check below then expects it).
ARG LITELLM_VERSION=1.108.7
ARG UV_VERSION=0.13.9

# uv's static binary: the LiteLLM image's virtual environment is made by uv and ships no pip.
FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

FROM ghcr.io/berriai/litellm:main-v${LITELLM_VERSION}
ARG LITELLM_VERSION
USER root
COPY --from=uv /uv /usr/local/bin/uv

# The build context is an allow-list (.dockerignore): sources and packaging metadata only.
COPY . /opt/agent-router
# `uv pip install` = `pip install .` into the interpreter that runs `litellm`; dependencies the image
# already satisfies (litellm itself among them) are kept. onnxruntime and tokenizers (the encoder
# classifier's run time) come from pyproject.toml; its artifact is package data (plugins/models/).
# The check fails the build when the base image does not carry the LiteLLM version the bundle was
# tested with, the bundle cannot import, or the encoder's run time or artifact is missing (each
# `--num_workers` worker loads its own copy of the model at start-up).
RUN uv pip install --python "$(command -v python3)" --no-cache /opt/agent-router \
 && python3 -c "import importlib.metadata as m, pathlib, onnxruntime, tokenizers, plugins, router_hooks; \
v = m.version('litellm'); assert v == '${LITELLM_VERSION}', f'litellm {v} in the base image, expected ${LITELLM_VERSION}'; \
art = pathlib.Path(plugins.__file__).parent / 'models' / 'intent-encoder-v5'; \
assert all((art / f).is_file() for f in ('model.onnx', 'tokenizer.json', 'manifest.json')), f'{art} incomplete'"

# The same file the tests run (tests/support/cluster.py CONFIG).
COPY litellm_config.yaml /app/litellm_config.yaml
ENV AGENT_ROUTER_CONFIG=/app/litellm_config.yaml \
    LITELLM_LOCAL_MODEL_COST_MAP=True

# 4000: OpenAI-compatible API and admin UI; 8001: agent_router_* metrics.
EXPOSE 4000 8001
# The base image's entrypoint runs `litellm` (and its database migrations when DATABASE_URL is set).
CMD ["--config", "/app/litellm_config.yaml", "--port", "4000"]
