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
from plugins.context_window import Fit
from plugins.errors import ErrorType, error_type
from plugins.metrics.series import DIRECT_INTENT, RouterMetrics
from plugins.prompt import PromptError, extract_prompt
from plugins.record import HEADER, RoutingRecord
from plugins.redact import has_credentials, without_credentials
from plugins.request_size import SURFACE_FIELDS, measure_request
from plugins.routing import choose_route, default_route
from router_hooks.context_gate import ContextGate
from router_hooks.health_gate import HealthGate

logger = logging.getLogger(__name__)

# The key of the RoutingRecord in LiteLLM's request metadata (`metadata`, or `litellm_metadata` on
# the routes where LiteLLM keeps request metadata there).
META_KEY = "agent_router"
METADATA_KEYS = ("metadata", "litellm_metadata")
__all__ = ["HEADER", "AgentRouterHook"]
# Call types that carry chat `messages` (LiteLLM 1.108.7 passes the async names at runtime).
CHAT_CALL_TYPES = frozenset({"completion", "acompletion"})
# LiteLLM's own header naming the served api_base (1.108.7 cuts only its query string).
API_BASE_HEADER = "x-litellm-model-api-base"

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
        context: ContextGate | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.classifier = classifier
        self.metrics = metrics
        self._deployments = deployments
        self._aliases = aliases
        self._clock = clock
        self.health = health
        self.context = context

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
            raise invalid_request(f"agent-router: {exc}", "messages", str(call_type)) from exc
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
        record, fitting = self._fit_window(record, data, str(call_type))
        record = record.rerouted(await self._available(record.routed_model, fitting), "health")
        data["model"] = record.routed_model
        metadata = data.get("metadata")
        if not isinstance(metadata, dict):
            metadata = data["metadata"] = {}
        metadata[META_KEY] = record
        logger.debug("agent-router: routed to %s (%s, %.2f)", record.routed_model, record.intent,
                     record.confidence)
        return data

    def _fit_window(
        self, record: RoutingRecord, data: Mapping[str, Any], call_type: str
    ) -> tuple[RoutingRecord, Callable[[str], bool] | None]:
        """The record sent to the first model of its chain whose input window takes the whole
        request, and a predicate keeping later reroutes (health) to models that fit."""
        fit = self._fit(record.chosen_model, data, call_type)
        if fit is None or self.context is None:
            return record, None
        if fit.model is None:
            # No model of the chain can take the prompt: refuse before any backend is called.
            raise invalid_request(fit.message(), _prompt_field(call_type), call_type,
                                  code="context_length_exceeded")
        return record.rerouted(fit.model, "context_window"), self.context.fitter(fit.tokens)

    def _fit(self, model: str, data: Mapping[str, Any], call_type: str) -> Fit | None:
        """Where the request fits by its whole text (None: not measured, or measuring failed)."""
        if self.context is None:
            return None
        try:
            size = measure_request(data, call_type)
            return None if size is None else self.context.fit(model, size)
        except Exception:
            logger.exception("agent-router: context-window check failed; keeping %s", model)
            self.metrics.error(model, "other")
            return None

    async def _available(self, model: str, fits: Callable[[str], bool] | None = None) -> str:
        """`model`, or the first available (and fitting) model of its chain when it is unhealthy."""
        if self.health is None:
            return model
        try:
            return await self.health.reroute(model, fits)
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
            headers: dict[str, str] = {}
            call_info = litellm_call_info or {}
            api_base = call_info.get("api_base")
            if isinstance(api_base, str) and has_credentials(api_base):
                # Callback headers override LiteLLM's own (proxy/utils.py, 1.108.7): the client
                # sees the backend's address, never the credentials in it.
                headers[API_BASE_HEADER] = without_credentials(api_base)
            record = record_in(data)
            if record is not None:
                served = self._deployments(call_info.get("model_id"))
                headers[HEADER] = record.header(served, self._clock())
            return headers or None
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


def invalid_request(message: str, param: str | None, call_type: str, code: str = "400") -> HTTPException:
    """A 400 for the client's request, in the error format of the API called.

    One place builds these: today every routed surface answers OpenAI-style (`call_type` is
    where a surface with its own format, such as Anthropic's `/v1/messages`, plugs in).
    `context_length_exceeded` is OpenAI's own code for an over-long prompt: agent harnesses
    look for it to compact the conversation.
    """
    return HTTPException(status_code=400, detail={"error": {
        "message": message, "type": "invalid_request_error", "param": param, "code": code}})


def _prompt_field(call_type: str) -> str | None:
    fields = SURFACE_FIELDS.get(call_type)
    return fields[0] if fields else None


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
