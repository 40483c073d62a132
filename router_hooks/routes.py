"""Operator endpoints on the proxy's own FastAPI app, behind the proxy's key auth.

LiteLLM 1.108.7 has no API for plugin routes; adding them to `litellm.proxy.proxy_server.app`
while callbacks load (inside the app's lifespan start-up) works, and `Depends(user_api_key_auth)`
gives them the same key check as every other route. No endpoint calls a model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from litellm.proxy._types import UserAPIKeyAuth
from litellm.proxy.auth.user_api_key_auth import user_api_key_auth
from starlette.routing import BaseRoute

import plugins
from plugins.health.monitor import HealthMonitor
from plugins.metrics.series import RouterMetrics
from router_hooks.classify_route import CLASSIFY_PATH, classify
from router_hooks.feedback_route import FEEDBACK_PATH, give_feedback
from router_hooks.health_gate import HealthGate
from router_hooks.hook import AgentRouterHook

logger = logging.getLogger(__name__)

INFO_PATH = "/router/info"
HEALTH_PATH = "/router/health"


class OperatorRoutes:
    """`/router/health`, `/router/info` and `/router/classify` on an app, mounted and unmounted
    explicitly."""

    def __init__(self, hook: AgentRouterHook, gate: HealthGate, monitor: HealthMonitor | None,
                 exporter: Callable[[], dict[str, Any]] | None = None) -> None:
        self._hook = hook
        self._gate = gate
        self._monitor = monitor
        # The metrics exporter's status (Bundle.exporter_json); reported, never part of the status
        # code: a lost exporter is the AgentRouterMetricsDown alert's business, not the models'.
        self._exporter = exporter
        self._app: FastAPI | None = None
        self._mounted: list[BaseRoute] = []

    def mount(self, app: FastAPI) -> None:
        if any(getattr(r, "path", None) == INFO_PATH for r in app.router.routes):
            # Another bundle of this process already serves them (LiteLLM loads a callback once
            # per reference in the config); the first one's routes stay.
            logger.warning("agent-router: %s is already mounted; not mounting it twice", INFO_PATH)
            return
        before = list(app.router.routes)
        auth = [Depends(user_api_key_auth)]
        app.add_api_route(HEALTH_PATH, self.health, methods=["GET"], dependencies=auth,
                          tags=["agent-router"], summary="Model health as the monitor sees it")
        app.add_api_route(INFO_PATH, self.info, methods=["GET"], dependencies=auth,
                          tags=["agent-router"], summary="Router configuration, health and counters")
        app.add_api_route(CLASSIFY_PATH, self.classify, methods=["POST"], dependencies=auth,
                          tags=["agent-router"], summary="The routing decision for a request body")
        if self._hook.handles.desk is not None:
            app.add_api_route(FEEDBACK_PATH, self.feedback, methods=["POST"], tags=["agent-router"],
                              summary="Report the intent a routed response should have had")
        self._mounted = [r for r in app.router.routes if r not in before]
        self._app = app

    def unmount(self) -> None:
        if self._app is not None:
            for route in self._mounted:
                self._app.router.routes.remove(route)
        self._app, self._mounted = None, []

    async def health(self) -> JSONResponse:
        models = await health_json(self._gate)
        ok = any(m["status"] == "healthy" for m in models.values())
        body: dict[str, Any] = {"models": models}
        if self._exporter is not None:
            body["exporter"] = self._exporter()
        return JSONResponse(body, status_code=200 if ok else 503)

    async def info(self) -> dict[str, Any]:
        return await info_json(self._hook, self._gate, self._monitor)

    async def classify(self, request: Request,
                       token: UserAPIKeyAuth = Depends(user_api_key_auth)) -> JSONResponse:  # noqa: B008
        return await classify(self._hook, request, token)

    async def feedback(self, request: Request,
                       user_api_key_dict: UserAPIKeyAuth = Depends(user_api_key_auth),  # noqa: B008 - FastAPI's idiom
                       ) -> JSONResponse:
        desk = self._hook.handles.desk
        assert desk is not None  # mounted only with a desk
        return await give_feedback(desk, request, user_api_key_dict)


async def health_json(gate: HealthGate) -> dict[str, dict[str, Any]]:
    cooled = await gate.cooldowns(gate.state.models)
    probed = gate.targets()
    return {
        model: {
            **health.as_json(),
            "probed": model in probed,
            "cooldown": {"active": model in cooled,
                         "remaining_seconds": round(cooled.get(model, 0.0), 3)},
        }
        for model, health in gate.state.snapshot().items()
    }


async def info_json(hook: AgentRouterHook, gate: HealthGate,
                    monitor: HealthMonitor | None) -> dict[str, Any]:
    config = hook.config
    thresholds = config.thresholds.model_dump()
    chains = gate.chains()
    return {
        "version": plugins.__version__,
        "classifier": hook.classification.kind,
        "virtual_model": config.virtual_model,
        "default_model": config.default_model,
        "default_intent": config.default_intent,
        "thresholds": thresholds,
        "intents": {
            name: {"model": intent.model, "keywords": len(intent.keywords),
                   "thresholds": thresholds}
            for name, intent in config.intents.items()
        },
        "intent_models": {name: intent.model for name, intent in config.intents.items()},
        "fallbacks": {model: list(chain) for model, chain in chains.items()},
        "models": await health_json(gate),
        "health_monitor": {
            **config.health.model_dump(),
            "running": monitor is not None and monitor.running,
            "rounds": monitor.rounds if monitor is not None else 0,
        },
        "requests": request_counts(hook.metrics),
        "feedback": await feedback_json(hook),
        # This worker's shadow classifier: its samples, drops and own CPU time, apart from the request path's.
        "shadow": hook.shadow.as_json() if hook.shadow is not None else None,
        "capture": hook.capture.as_json() if hook.capture is not None else None,
    }


async def feedback_json(hook: AgentRouterHook) -> dict[str, Any]:
    """The feedback matrix's totals: cluster-wide with Redis (`scope: cluster`), else this process's."""
    desk = hook.handles.desk
    if desk is None:
        return {"enabled": False}
    try:
        return {"enabled": True, **await desk.summary()}
    except Exception as exc:  # the store (Redis) is unreachable: say so, the rest of /router/info stands
        logger.warning("agent-router: feedback totals unavailable: %s", type(exc).__name__)
        return {"enabled": True, "error": f"the decision store did not answer ({type(exc).__name__})"}


def request_counts(metrics: RouterMetrics) -> dict[str, Any]:
    """This process's counters: client requests by outcome, per model and per intent."""
    by_model: dict[str, dict[str, int]] = {}
    by_intent: dict[str, dict[str, int]] = {}
    total = {"success": 0, "error": 0}
    for labels, value in _samples(metrics.requests, "agent_router_requests_total"):
        status = labels["status"]
        for table, key in ((by_model, labels["model"]), (by_intent, labels["intent"])):
            row = table.setdefault(key, {"success": 0, "error": 0})
            row[status] = row.get(status, 0) + int(value)
        total[status] = total.get(status, 0) + int(value)
    fallbacks = {
        f"{labels['from_model']}->{labels['to_model']}": int(value)
        for labels, value in _samples(
            metrics.fallback_requests, "agent_router_fallback_requests_total"
        )
    }
    return {"total": total, "by_model": by_model, "by_intent": by_intent, "fallbacks": fallbacks}


def _samples(metric: Any, name: str) -> list[tuple[Mapping[str, str], float]]:
    return [
        (sample.labels, sample.value)
        for family in metric.collect()
        for sample in family.samples
        if sample.name == name
    ]
