"""Builds the hook inside a running proxy: finds the config, reads the environment once, and
binds look-ups to LiteLLM's router."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from plugins.classifiers import build_classifier
from plugins.config import ConfigError, load_config
from plugins.metrics import RouterMetrics
from router_hooks.hook import AgentRouterHook

logger = logging.getLogger(__name__)

CONFIG_ENV = "AGENT_ROUTER_CONFIG"


def config_path(environ: Mapping[str, str]) -> str:
    """AGENT_ROUTER_CONFIG wins; else the file the proxy itself was started with."""
    explicit = environ.get(CONFIG_ENV)
    if explicit:
        return explicit
    from litellm.proxy import proxy_server

    path = getattr(proxy_server, "user_config_file_path", None) or environ.get("CONFIG_FILE_PATH")
    if not path:
        raise ConfigError(
            f"agent-router: no config file: start the proxy with --config or set {CONFIG_ENV}"
        )
    return str(path)


def _router() -> Any:
    from litellm.proxy import proxy_server

    return getattr(proxy_server, "llm_router", None)


def lookup_deployment(model_id: str | None) -> tuple[str, str] | None:
    """(model group, served model name) of the deployment that answered."""
    router = _router()
    if router is None or not model_id:
        return None
    deployment = router.get_deployment(model_id=model_id)
    if deployment is None:
        return None
    served = str(deployment.litellm_params.model)
    # "openai/Qwen/Qwen2.5-Coder-7B-Instruct" -> the name the backend serves.
    provider, _, name = served.partition("/")
    return str(deployment.model_name), name if provider == "openai" and name else served


def aliases() -> Mapping[str, Any]:
    router = _router()
    alias_map = getattr(router, "model_group_alias", None) if router is not None else None
    return alias_map or {}


def build_from_proxy(environ: Mapping[str, str] | None = None) -> AgentRouterHook:
    env = os.environ if environ is None else environ
    config = load_config(config_path(env))
    hook = AgentRouterHook(
        config=config,
        classifier=build_classifier(config),
        metrics=RouterMetrics(config.models, config.intents),
        deployments=lookup_deployment,
        aliases=aliases,
    )
    logger.info(
        "agent-router: %s classifier, %d intents, default model %s",
        config.classifier, len(config.intents), config.default_model,
    )
    return hook
