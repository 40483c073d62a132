"""The bundle as one object: built purely from a config, started and stopped explicitly.

`build_bundle` only constructs (no thread, no socket, no file touched, no route mounted);
`Bundle.start` binds the exporter, starts the fallback-rate refresher and the health monitor
(on the running event loop), mounts the operator routes and puts the body guard in front of the
app; `Bundle.stop` undoes all of it. The proxy (`router_hooks.__init__`), the tests and the
benchmarks use it the same way.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from plugins.capture.writer import CaptureWriter
from plugins.classify.build import build_shadow
from plugins.config import ConfigError, RouterConfig, load_config
from plugins.feedback.desk import FeedbackDesk
from plugins.health.monitor import HealthMonitor
from plugins.health.state import HealthState
from plugins.metrics.exporter import MetricsExporter, Refresher, forget_dead_workers
from plugins.metrics.exporter_status import OFF
from plugins.metrics.series import RouterMetrics
from plugins.metrics.window import FallbackWindow
from plugins.shadow import ShadowEvaluator
from router_hooks.body_guard import InstalledGuard
from router_hooks.body_guard import install as install_body_guard
from router_hooks.classification import build_classification
from router_hooks.compat import router_view, warn_if_crash_prone_python, warn_if_untested
from router_hooks.context_gate import ContextGate
from router_hooks.decision_store import canonical_response_id, decision_store
from router_hooks.health_gate import HealthGate
from router_hooks.hook import AgentRouterHook
from router_hooks.metrics_mount import redact_when_mounted
from router_hooks.router_view import DeploymentIndex, RouterLookup, RouterView
from router_hooks.routes import OperatorRoutes
from router_hooks.tenant_access import TenantAccess

logger = logging.getLogger(__name__)

CONFIG_ENV = "AGENT_ROUTER_CONFIG"
# Override agent_router.metrics.host/port; port 0 turns the exporter off, `auto` binds a port the
# kernel chooses (no race for a "free" port; the bound one is in the INFO line and /router/health).
METRICS_HOST_ENV = "AGENT_ROUTER_METRICS_HOST"
METRICS_PORT_ENV = "AGENT_ROUTER_METRICS_PORT"
AUTO_PORT = "auto"
# Set by LiteLLM's CLI for --num_workers > 1 when the `prometheus` callback is configured.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# How often the fallback-rate gauge is recomputed when no request updates it.
REFRESH_SECONDS = 15.0
# How often the exporter's watchdog looks at its socket (a local check, no request): a lost
# exporter is bound again within this, well inside Prometheus' 15 s scrape interval.
WATCH_SECONDS = 5.0


@dataclass
class Bundle:
    hook: AgentRouterHook
    gate: HealthGate
    monitor: HealthMonitor | None
    exporter: MetricsExporter | None
    refresher: Refresher
    multiproc_dir: str | None = None
    # The encoder's thread pool (None unless the encoder runs): no thread starts before its first call.
    executor: Executor | None = None
    watchdog: Refresher | None = None
    # The shadow classifier's worker (agent_router.shadow), None without one.
    shadow: ShadowEvaluator | None = None
    # The capture writer (agent_router.capture), None unless configured.
    capture: CaptureWriter | None = None
    routes: OperatorRoutes | None = field(default=None, init=False)
    metrics_mount: asyncio.Task[bool] | None = field(default=None, init=False)
    guard: InstalledGuard | None = field(default=None, init=False)

    def start(self, app: FastAPI | None = None) -> None:
        """Serve the exporter, refresh the gauges, probe the backends, guard and mount routes on `app`.

        The monitor needs a running event loop (LiteLLM 1.108.7 loads callbacks inside the app's
        lifespan start-up, on its loop); without one it is not started and a warning says so.
        """
        if self.capture is not None:
            self.capture.prepare()  # first: an unusable directory stops start-up with nothing started
            self.capture.start()
        if self.multiproc_dir is not None:
            forget_dead_workers(self.multiproc_dir)
        if self.exporter is not None:
            self.exporter.start()
        if self.watchdog is not None:
            self.watchdog.start()
        self.refresher.start()
        if self.shadow is not None:
            self.shadow.start()
        if self.monitor is not None:
            try:
                self.monitor.start()
            except RuntimeError:  # no running loop: imported by a tool, not by a serving proxy
                logger.warning("agent-router: no event loop; the health monitor is not running")
        if app is not None:
            self.routes = OperatorRoutes(self.hook, self.gate, self.monitor, self.exporter_json)
            self.routes.mount(app)
            self.guard = install_body_guard(app)
            self._redact_metrics(app)

    def exporter_json(self) -> dict[str, Any]:
        """The `exporter` object of `/router/health`, answered by this worker."""
        status = self.exporter.status() if self.exporter is not None else OFF
        return status.as_json(answered_by=os.getpid())

    def _redact_metrics(self, app: FastAPI) -> None:
        """LiteLLM mounts its /metrics after the bundle starts: swap it in once it is there."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self.metrics_mount = loop.create_task(redact_when_mounted(app, self.multiproc_dir),
                                              name="agent-router-metrics-mount")

    async def stop(self) -> None:
        if self.metrics_mount is not None:
            self.metrics_mount.cancel()
            self.metrics_mount = None
        if self.guard is not None:
            self.guard.remove()
            self.guard = None
        if self.routes is not None:
            self.routes.unmount()
            self.routes = None
        if self.monitor is not None:
            await self.monitor.stop()
        self.refresher.stop()
        if self.shadow is not None:
            self.shadow.stop()
        if self.capture is not None:
            self.capture.stop()
        if self.watchdog is not None:
            self.watchdog.stop()
        if self.exporter is not None:
            self.exporter.stop()
        if self.executor is not None:
            # Calls still waiting are dropped; a running one ends on its own (threads cannot be killed).
            self.executor.shutdown(wait=False, cancel_futures=True)


def build_bundle(
    config: RouterConfig,
    router: RouterLookup,
    environ: Mapping[str, str],
    registry: CollectorRegistry | None = None,
) -> Bundle:
    """Everything the proxy runs, constructed and wired, nothing started."""
    metrics = RouterMetrics(config.models, config.intents, registry=registry,
                            fallback_window=FallbackWindow(config.metrics.fallback_window_seconds))
    index = DeploymentIndex(router)
    state = HealthState(config.models, config.health.unhealthy_after, config.health.healthy_after,
                        on_change=metrics.health, probation_seconds=config.health.probation_seconds)
    gate = HealthGate(state, config.health, index)
    classification, executor = build_classification(config, metrics)
    capture = None
    if config.capture is not None:
        capture = CaptureWriter(Path(config.capture.dir), config.capture.max_bytes, config.capture.max_files,
                                config.capture.sample_rate, metrics.loop)
    desk = None
    if config.feedback.enabled:
        # The store is chosen on first use, when LiteLLM's router (and its Redis) exists.
        desk = FeedbackDesk(lambda: decision_store(config.feedback, index.router()), metrics.loop,
                            canonical=canonical_response_id,
                            on_feedback=capture.feedback if capture is not None else None)
    candidate = build_shadow(config)
    shadow = None
    if candidate is not None and config.shadow is not None:
        shadow = ShadowEvaluator(candidate, config, metrics.loop, config.shadow.sample_rate, config.shadow.queue)
    hook = AgentRouterHook(
        config=config, classification=classification, metrics=metrics,
        deployments=index.served_name, aliases=lambda: _aliases(index.router()), health=gate,
        context=ContextGate(index), access=TenantAccess(config.models, index.router),
        desk=desk, shadow=shadow, capture=capture,
    )
    monitor = None
    if config.health.enabled:
        monitor = HealthMonitor(state, config.health, gate.targets, on_round=gate.publish,
                                on_recovered=gate.end_cooldowns)
    multiproc_dir = environ.get(MULTIPROC_ENV) or None
    exporter = _exporter(config, environ, multiproc_dir, registry)
    return Bundle(
        hook=hook, gate=gate, monitor=monitor, exporter=exporter,
        refresher=Refresher(metrics.refresh_fallback_rates, REFRESH_SECONDS),
        multiproc_dir=multiproc_dir, executor=executor, shadow=shadow, capture=capture,
        watchdog=None if exporter is None else Refresher(exporter.check, WATCH_SECONDS,
                                                         name="agent-router-exporter-watchdog"),
    )


def _exporter(config: RouterConfig, environ: Mapping[str, str], multiproc_dir: str | None,
              registry: CollectorRegistry | None) -> MetricsExporter | None:
    raw_port = environ.get(METRICS_PORT_ENV) or str(config.metrics.port)
    if raw_port == AUTO_PORT:
        port = 0  # MetricsExporter binds port 0: the kernel's choice
    elif raw_port.isdigit() and int(raw_port) <= 65535:
        port = int(raw_port)
        if port == 0:
            return None
    else:
        raise ConfigError(
            f"agent-router: {METRICS_PORT_ENV}={raw_port!r} is not a port number or {AUTO_PORT!r}"
        )
    if not config.metrics.exporter:
        return None
    host = environ.get(METRICS_HOST_ENV) or config.metrics.host
    return MetricsExporter(host, port, registry=registry, multiproc_dir=multiproc_dir)


def _aliases(router: RouterView | None) -> Mapping[str, Any]:
    aliases = router.model_group_alias if router is not None else None
    return aliases if isinstance(aliases, Mapping) else {}


# -- inside a running proxy ------------------------------------------------------------------


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


def proxy_router() -> RouterView | None:
    """The proxy's current `llm_router` (it is replaced when the proxy reloads its config), read
    where the running LiteLLM keeps its data (router_hooks.compat)."""
    from litellm.proxy import proxy_server

    return router_view(getattr(proxy_server, "llm_router", None))


def start_in_proxy(environ: Mapping[str, str] | None = None) -> Bundle:
    """Build the bundle from the proxy's config and start it on the proxy's app and loop.

    Stopping: the monitor task is cancelled with the proxy's event loop at shutdown (uvicorn's
    `asyncio.run`), the exporter and refresher threads are daemons that end with the process.
    """
    from litellm.proxy.proxy_server import app

    env = os.environ if environ is None else environ
    warn_if_untested()
    warn_if_crash_prone_python()
    config = load_config(config_path(env))
    bundle = build_bundle(config, proxy_router, env)
    bundle.start(app)
    logger.info(
        "agent-router: %s classifier, %d intents, default model %s",
        config.classifier, len(config.intents), config.default_model,
    )
    return bundle


def stop_sync(bundle: Bundle) -> None:
    """`Bundle.stop` from code that has no event loop running (tools, tests)."""
    asyncio.run(bundle.stop())
