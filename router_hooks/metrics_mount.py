"""The proxy's own `/metrics`, re-served through the credential-redacting registry view.

LiteLLM 1.108.7 mounts `/metrics` (`PrometheusLogger._mount_metrics_endpoint`) right after it
has loaded the callbacks, i.e. after the bundle starts, and renders the registry with its own
ASGI app (`make_metrics_asgi_app`: off-loop rendering, gzip, `name[]`). So the bundle waits, on
the proxy's loop, for that mount to appear and gives it the same app over a redacting view of
the same registry; authentication stays with LiteLLM's middleware, which this does not touch.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI
from starlette.routing import Mount

from plugins.metrics.exporter import collecting_registry
from plugins.metrics.redacting import redacting_registry

logger = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
_MARK = "_agent_router_redacting"


def redact_mounted_metrics(app: FastAPI, multiproc_dir: str | None) -> bool:
    """Swap the app of LiteLLM's `/metrics` mount; False when it is not mounted (yet)."""
    from litellm.integrations.prometheus_metrics_endpoint import make_metrics_asgi_app

    for route in app.router.routes:
        if isinstance(route, Mount) and route.path == METRICS_PATH:
            if not getattr(route.app, _MARK, False):
                served = make_metrics_asgi_app(redacting_registry(collecting_registry(None, multiproc_dir)))
                setattr(served, _MARK, True)
                route.app = served
                logger.info("agent-router: the proxy's %s serves no URL credentials", METRICS_PATH)
            return True
    return False


async def redact_when_mounted(app: FastAPI, multiproc_dir: str | None, timeout: float = 300.0,
                              poll: float = 0.5) -> bool:
    """Poll (bounded) for the mount; a proxy without the `prometheus` callback never gets one."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not redact_mounted_metrics(app, multiproc_dir):
        if loop.time() > deadline:
            return False
        await asyncio.sleep(poll)
    return True
