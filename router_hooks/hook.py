"""The LiteLLM adapter: pre-call routing, the x-routing-metadata header, and metric events.

Thin on purpose: text extraction, classification, routing policy and metrics live in `plugins`.
Every entry point fails open: a bug here is logged and counted, never returned to the client.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import HTTPException
from litellm.integrations.custom_logger import CustomLogger

from plugins.classify.decision import Classifier
from plugins.config import RouterConfig
from plugins.errors import ErrorType, error_type
from plugins.metrics.series import DIRECT_INTENT, RouterMetrics
from plugins.prompt import PromptError, extract_prompt
from plugins.routing import Route, choose_route, default_route
from router_hooks.health_gate import HealthGate

logger = logging.getLogger(__name__)

META_KEY = "agent_router"
HEADER = "x-routing-metadata"
# Call types that carry chat `messages` (LiteLLM 1.108.7 passes the async names at runtime).
CHAT_CALL_TYPES = frozenset({"completion", "acompletion"})

# Returns (model group, served model name) for a deployment id, or None when unknown.
DeploymentLookup = Callable[[str | None], tuple[str, str] | None]
AliasLookup = Callable[[], Mapping[str, Any]]


class AgentRouterHook(CustomLogger):
    def __init__(
        self,
        config: RouterConfig,
        classifier: Classifier,
        metrics: RouterMetrics,
        deployments: DeploymentLookup,
        aliases: AliasLookup,
        clock: Callable[[], float] = time.monotonic,
        health: HealthGate | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.classifier = classifier
        self.metrics = metrics
        self._deployments = deployments
        self._aliases = aliases
        self._clock = clock
        self.health = health

    # -- routing ---------------------------------------------------------------------------

    def _is_virtual(self, model: Any) -> bool:
        if model == self.config.virtual_model:
            return True
        if not isinstance(model, str):
            return False
        target = self._aliases().get(model)
        if isinstance(target, Mapping):  # LiteLLM allows {"model": ..., "hidden": ...}
            target = target.get("model")
        return bool(target == self.config.virtual_model)

    async def async_pre_call_hook(
        self, user_api_key_dict: Any, cache: Any, data: dict[str, Any], call_type: Any
    ) -> dict[str, Any]:
        if str(call_type) not in CHAT_CALL_TYPES or not self._is_virtual(data.get("model")):
            return data
        try:
            prompt = extract_prompt(data.get("messages"))
        except PromptError as exc:
            # Bad input, not a plugin failure: a clear 400 instead of a silent misroute.
            raise HTTPException(
                status_code=400,
                detail={"error": {"message": f"agent-router: {exc}", "type": "invalid_request_error",
                                  "param": "messages", "code": "400"}},
            ) from exc
        started = self._clock()
        try:
            decision = self.classifier.classify(prompt)
            route = choose_route(decision, self.config)
            top, margin = decision.top(), decision.margin
            self.metrics.classified(route.intent, route.level, self._clock() - started)
        except Exception:
            logger.exception("agent-router: classification failed; routing to the default model")
            self.metrics.error(self.config.default_model, "classifier")
            route, top, margin = default_route(self.config), [], 0.0
        data["model"] = await self._available(route.model)
        metadata = data.get("metadata")
        if not isinstance(metadata, dict):
            metadata = data["metadata"] = {}
        metadata[META_KEY] = _route_metadata(route, top, margin, self.classifier.kind, started)
        logger.debug("agent-router: routed to %s (%s, %.2f)", route.model, route.intent, route.confidence)
        return data

    async def _available(self, model: str) -> str:
        """`model`, or the first available model of its fallback chain when it is unhealthy."""
        if self.health is None:
            return model
        try:
            return await self.health.reroute(model)
        except Exception:
            logger.exception("agent-router: health check failed; keeping %s", model)
            return model

    def _observe(self, model: str, error: ErrorType | None) -> None:
        if self.health is not None:
            self.health.observe(model, error)

    # -- response header -------------------------------------------------------------------

    async def async_post_call_response_headers_hook(
        self,
        data: dict[str, Any],
        user_api_key_dict: Any,
        response: Any,
        request_headers: dict[str, str] | None = None,
        litellm_call_info: dict[str, Any] | None = None,
    ) -> dict[str, str] | None:
        try:
            meta = _route_of(data.get("metadata"))
            if meta is None:
                return None
            served = self._deployments((litellm_call_info or {}).get("model_id"))
            group, name = served if served else (None, None)
            body = {
                "model_id": group,
                "model_name": name,
                "intent": meta["intent"],
                "confidence": meta["confidence"],
                "confidence_level": meta["level"],
                "primary_model": meta["primary"],
                "fallback_used": group is not None and group != meta["primary"],
                "defaulted": meta["defaulted"],
                "classifier": meta["classifier"],
                "top_intents": meta["top"],
                "margin": meta["margin"],
                "total_time_seconds": round(self._clock() - meta["started"], 6),
            }
            return {HEADER: json.dumps(body, separators=(",", ":"))}
        except Exception:
            logger.exception("agent-router: could not build the %s header", HEADER)
            return None

    # -- metrics ---------------------------------------------------------------------------

    async def async_log_success_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        try:
            model = _model_group(kwargs)
            if model not in self.metrics.models:
                return  # background health checks have no model group; other groups are not ours
            self._observe(model, None)
            meta = _route_of(_litellm_metadata(kwargs))
            if meta is None:
                self.metrics.served(model, model, DIRECT_INTENT, _elapsed(start_time, end_time))
            else:
                seconds = self._clock() - meta["started"]
                self.metrics.served(meta["primary"], model, meta["intent"], seconds)
        except Exception:
            logger.exception("agent-router: success metrics failed")

    async def async_post_call_failure_deployment_hook(
        self,
        request_data: Mapping[str, Any],
        exception: Exception,
        call_type: Any,
        fallback_depth: int | None = None,
    ) -> None:
        # One call per failed deployment attempt (first try, each retry, each fallback hop).
        # async_log_failure_event is not used: LiteLLM 1.108.7 fires it once per client request
        # (has_logged_async_failure), so failures of fallback targets were never counted.
        try:
            metadata = request_data.get("metadata")
            model = metadata.get("model_group") if isinstance(metadata, Mapping) else None
            if model in self.metrics.models:
                kind = error_type(exception)
                self.metrics.error(model, kind)
                self._observe(model, kind)
        except Exception:
            logger.exception("agent-router: failure metrics failed")

    async def async_post_call_failure_hook(
        self,
        request_data: dict[str, Any],
        original_exception: Exception,
        user_api_key_dict: Any,
        traceback_str: str | None = None,
    ) -> HTTPException | None:
        try:
            meta = _route_of(request_data.get("metadata"))
            if meta is not None:
                self.metrics.failed(meta["primary"], meta["intent"])
            elif request_data.get("model") in self.metrics.models:  # named a model itself
                self.metrics.failed(request_data["model"], DIRECT_INTENT)
        except Exception:
            logger.exception("agent-router: failure accounting failed")
            meta = None
        return unknown_key_without_database(original_exception) or self._outage_error(meta)

    def _outage_error(self, meta: Mapping[str, Any] | None) -> HTTPException | None:
        """Every model of the chain unhealthy: say so, instead of the last backend's error."""
        try:
            message = self.health.outage_message(meta["primary"]) if meta and self.health else None
        except Exception:
            logger.exception("agent-router: outage check failed")
            return None
        if message is None:
            return None
        return HTTPException(status_code=503, detail={"error": {
            "message": message, "type": "service_unavailable", "param": None, "code": "503"}})


def unknown_key_without_database(exc: Exception) -> HTTPException | None:
    """A key other than the master key, on a proxy with no key database, is a wrong key: 401.

    LiteLLM 1.108.7 answers such a request with 400 "No connected db." (user_api_key_auth.py);
    with no database there are no virtual keys, so the key cannot be valid.
    """
    if getattr(exc, "type", None) != "no_db_connection":
        return None
    return HTTPException(
        status_code=401,
        detail="Authentication Error: invalid API key (this proxy has no key database; "
        "only its master key is accepted)",
    )


def _route_metadata(
    route: Route, top: list[tuple[str, float]], margin: float, kind: str, started: float
) -> dict[str, Any]:
    return {
        "primary": route.model,
        "intent": route.intent,
        "confidence": route.confidence,
        "level": route.level,
        "defaulted": route.defaulted,
        "classifier": kind,
        "top": [{"intent": i, "score": s} for i, s in top],
        "margin": round(margin, 4),
        "started": started,
    }


def _route_of(metadata: Any) -> dict[str, Any] | None:
    if isinstance(metadata, Mapping):
        meta = metadata.get(META_KEY)
        if isinstance(meta, dict):
            return meta
    return None


def _litellm_metadata(kwargs: Mapping[str, Any]) -> Any:
    params = kwargs.get("litellm_params") or {}
    return params.get("metadata") if isinstance(params, Mapping) else None


def _model_group(kwargs: Mapping[str, Any]) -> str | None:
    slo = kwargs.get("standard_logging_object") or {}
    group = slo.get("model_group") if isinstance(slo, Mapping) else None
    return group if isinstance(group, str) and group else None


def _elapsed(start: Any, end: Any) -> float:
    try:
        return float((end - start).total_seconds())
    except (TypeError, AttributeError):
        return 0.0
