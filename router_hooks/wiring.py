"""Builds the hook inside a running proxy: finds the config, reads the environment once, and
binds look-ups to LiteLLM's router."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from plugins.classify.build import build_classifier
from plugins.config import ConfigError, RouterConfig, load_config
from plugins.health.monitor import HealthMonitor
from plugins.health.state import HealthState
from plugins.metrics.exporter import MetricsExporter, forget_dead_workers, start_refresher
from plugins.metrics.series import RouterMetrics
from plugins.metrics.window import FallbackWindow
from router_hooks.health_gate import HealthGate, RouterLookup
from router_hooks.hook import AgentRouterHook

logger = logging.getLogger(__name__)

CONFIG_ENV = "AGENT_ROUTER_CONFIG"
# Override agent_router.metrics.host/port (tests pick a free port); port 0 turns the exporter off.
METRICS_HOST_ENV = "AGENT_ROUTER_METRICS_HOST"
METRICS_PORT_ENV = "AGENT_ROUTER_METRICS_PORT"
# Set by LiteLLM's CLI for --num_workers > 1 when the `prometheus` callback is configured.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# How often the fallback-rate gauge is recomputed when no request updates it.
REFRESH_SECONDS = 15.0

# Background pieces that must live as long as the process (the exporter holds its lock file).
_background: list[object] = []


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


# model_id -> (model group, served name). LiteLLM 1.108.7's `get_deployment` builds a new pydantic
# Deployment on every call (~0.4% of the proxy's CPU per request in the benchmark profile); a model
# id is a hash of the deployment's parameters, so its group and served name never change.
_DEPLOYMENT_NAMES: dict[str, tuple[str, str]] = {}


def lookup_deployment(model_id: str | None) -> tuple[str, str] | None:
    """(model group, served model name) of the deployment that answered."""
    if model_id and model_id in _DEPLOYMENT_NAMES:
        return _DEPLOYMENT_NAMES[model_id]
    router = _router()
    if router is None or not model_id:
        return None
    deployment = router.get_deployment(model_id=model_id)
    if deployment is None:
        return None  # not cached: a deployment added at run time is found on a later call
    served = str(deployment.litellm_params.model)
    # "openai/Qwen/Qwen2.5-Coder-7B-Instruct" -> the name the backend serves.
    provider, _, name = served.partition("/")
    found = str(deployment.model_name), name if provider == "openai" and name else served
    if len(_DEPLOYMENT_NAMES) < 1024:  # bounded: ids only come from the router's model list
        _DEPLOYMENT_NAMES[model_id] = found
    return found


def aliases() -> Mapping[str, Any]:
    router = _router()
    alias_map = getattr(router, "model_group_alias", None) if router is not None else None
    return alias_map or {}


def build_from_proxy(environ: Mapping[str, str] | None = None) -> AgentRouterHook:
    env = os.environ if environ is None else environ
    config = load_config(config_path(env))
    metrics = build_metrics(config, env)
    gate = build_health_gate(config, metrics)
    hook = AgentRouterHook(
        config=config,
        classifier=build_classifier(config),
        metrics=metrics,
        deployments=lookup_deployment,
        aliases=aliases,
        health=gate,
    )
    start_health_monitor(hook, gate)
    logger.info(
        "agent-router: %s classifier, %d intents, default model %s",
        config.classifier, len(config.intents), config.default_model,
    )
    return hook


def build_metrics(config: RouterConfig, environ: Mapping[str, str]) -> RouterMetrics:
    """The series on the default registry (the proxy's /metrics), plus the separate exporter."""
    window = FallbackWindow(config.metrics.fallback_window_seconds)
    metrics = RouterMetrics(config.models, config.intents, fallback_window=window)
    _background.append(start_refresher(metrics.refresh_fallback_rates, REFRESH_SECONDS))
    raw_port = environ.get(METRICS_PORT_ENV) or str(config.metrics.port)
    if not raw_port.isdigit() or int(raw_port) > 65535:
        raise ConfigError(f"agent-router: {METRICS_PORT_ENV}={raw_port!r} is not a port number")
    port = int(raw_port)
    multiproc_dir = environ.get(MULTIPROC_ENV) or None
    if multiproc_dir is not None:
        forget_dead_workers(multiproc_dir)
    if config.metrics.exporter and port:
        exporter = MetricsExporter(
            environ.get(METRICS_HOST_ENV) or config.metrics.host, port,
            multiproc_dir=multiproc_dir,
        )
        exporter.start()
        _background.append(exporter)
    return metrics


def build_health_gate(
    config: RouterConfig, metrics: RouterMetrics, router: RouterLookup = _router
) -> HealthGate:
    """The gate on a fresh health state that reports to `metrics`; `router` defaults to the proxy's."""
    state = HealthState(
        config.models, config.health.unhealthy_after, config.health.healthy_after,
        on_change=metrics.health,
    )
    return HealthGate(state, config.health, router)


def start_health_monitor(hook: AgentRouterHook, gate: HealthGate) -> HealthMonitor | None:
    """Start the monitor on the proxy's event loop and mount the operator endpoints.

    LiteLLM 1.108.7 loads callbacks inside the app's lifespan start-up, on the running loop, and
    before `llm_router` exists (the monitor reads its targets each round, so it waits). At
    shutdown uvicorn's `asyncio.run` cancels the task; its `finally` closes the HTTP client.
    """
    from litellm.proxy.proxy_server import app

    from router_hooks.routes import install_routes

    monitor = None
    if gate.settings.enabled:
        monitor = HealthMonitor(gate.state, gate.settings, gate.targets, on_round=gate.publish)
        try:
            monitor.start()
        except RuntimeError:  # no running loop: imported by a tool, not by a serving proxy
            logger.warning("agent-router: no event loop; the health monitor is not running")
            monitor = None
    install_routes(app, hook, gate, monitor)
    return monitor
