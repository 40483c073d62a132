"""The LiteLLM adapter: pre-call routing, the x-routing-metadata header, and metric events.

Thin on purpose: text extraction, classification, routing policy and metrics live in `plugins`.
Every entry point fails open: a bug here is logged and counted, never returned to the client.
"""

from __future__ import annotations

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
from plugins.record import HEADER, RoutingRecord
from plugins.routing import choose_route, default_route
from router_hooks import request_errors
from router_hooks.health_gate import HealthGate

logger = logging.getLogger(__name__)

# The key of the RoutingRecord in LiteLLM's request metadata (`metadata`, or `litellm_metadata` on
# the routes where LiteLLM keeps request metadata there).
META_KEY = "agent_router"
METADATA_KEYS = ("metadata", "litellm_metadata")
__all__ = ["HEADER", "AgentRouterHook"]
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
            self.metrics.classified(route.intent, route.level, self._clock() - started)
            record = RoutingRecord.of(route, decision, self.classifier.kind, started)
        except Exception:
            logger.exception("agent-router: classification failed; routing to the default model")
            self.metrics.error(self.config.default_model, "classifier")
            record = RoutingRecord.of(default_route(self.config), None, self.classifier.kind, started)
        record = record.rerouted(await self._available(record.chosen_model), "health")
        data["model"] = record.routed_model
        metadata = data.get("metadata")
        if not isinstance(metadata, dict):
            metadata = data["metadata"] = {}
        metadata[META_KEY] = record
        request_errors.attach(metadata)
        logger.debug("agent-router: routed to %s (%s, %.2f)", record.routed_model, record.intent,
                     record.confidence)
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

    async def async_post_call_success_hook(self, data: dict[str, Any], user_api_key_dict: Any,
                                           response: Any) -> Any:
        """No response is not a success: a 400 instead of LiteLLM's 200 `null`.

        LiteLLM 1.108.7 with `drop_params` retries a backend's 422 once without the parameters the
        422 names, and when the retry fails the same way it leaves its loop with no response
        (llms/openai/openai.py acompletion, `for _ in range(2)`): the proxy would answer 200 `null`.
        """
        if response is not None:
            return None
        model = data.get("model")
        if model in self.metrics.models:
            self.metrics.error(model, "http_4xx")
        raise HTTPException(status_code=400, detail={"error": {
            "message": "agent-router: the model backend rejected the request's parameters (422) and returned "
                       "no response", "type": "invalid_request_error", "param": None, "code": "400"}})

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
            record = record_in(data)
            if record is None:
                return None
            served = self._deployments((litellm_call_info or {}).get("model_id"))
            return {HEADER: record.header(served, self._clock())}
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
            record = record_in(kwargs.get("litellm_params"))
            if record is None:
                self.metrics.served(model, model, DIRECT_INTENT, _elapsed(start_time, end_time))
            else:
                seconds = self._clock() - record.started
                self.metrics.served(record.chosen_model, model, record.intent, seconds)
        except Exception:
            logger.exception("agent-router: success metrics failed")

    async def async_pre_call_deployment_hook(self, kwargs: dict[str, Any], call_type: Any) -> dict[str, Any] | None:
        request_errors.stop_if_rejected(kwargs)  # raises on purpose: see request_errors
        return None

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
            request_errors.note(request_data, exception)
        except Exception:
            logger.exception("agent-router: failure metrics failed")

    async def async_post_call_failure_hook(
        self,
        request_data: dict[str, Any],
        original_exception: Exception,
        user_api_key_dict: Any,
        traceback_str: str | None = None,
    ) -> HTTPException | None:
        record = None
        try:
            record = record_in(request_data)
            if record is not None:
                self.metrics.failed(record.chosen_model, record.intent)
            elif request_data.get("model") in self.metrics.models:  # named a model itself
                self.metrics.failed(request_data["model"], DIRECT_INTENT)
        except Exception:
            logger.exception("agent-router: failure accounting failed")
        return unknown_key_without_database(original_exception) or self._outage_error(record)

    def _outage_error(self, record: RoutingRecord | None) -> HTTPException | None:
        """Every model of the chain unhealthy: say so, instead of the last backend's error."""
        try:
            message = self.health.outage_message(record.chosen_model) if record and self.health else None
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


def record_in(container: Any) -> RoutingRecord | None:
    """The hook's record in request data or `litellm_params`: under `metadata` or `litellm_metadata`."""
    if not isinstance(container, Mapping):
        return None
    for key in METADATA_KEYS:
        metadata = container.get(key)
        if isinstance(metadata, Mapping):
            record = metadata.get(META_KEY)
            if isinstance(record, RoutingRecord):
                return record
    return None


def _model_group(kwargs: Mapping[str, Any]) -> str | None:
    slo = kwargs.get("standard_logging_object") or {}
    group = slo.get("model_group") if isinstance(slo, Mapping) else None
    return group if isinstance(group, str) and group else None


def _elapsed(start: Any, end: Any) -> float:
    try:
        return float((end - start).total_seconds())
    except (TypeError, AttributeError):
        return 0.0
