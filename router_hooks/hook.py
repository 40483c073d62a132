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
from litellm.proxy.hooks.responses_id_security import decrypted_response_id

from plugins.classify.decision import Classifier
from plugins.config import RouterConfig
from plugins.context_window import Fit
from plugins.errors import ErrorType, error_type
from plugins.metrics.series import DIRECT_INTENT, RouterMetrics
from plugins.prompt import Prompt, PromptError
from plugins.record import HEADER, RoutingRecord
from plugins.redact import has_credentials, without_credentials
from plugins.request_size import measure_request
from plugins.routing import Route, choose_route, default_route
from plugins.surfaces import Surface, read, surface_of, validate
from plugins.surfaces.responses import continued_deployment
from router_hooks import request_errors
from router_hooks.call_data import (
    META_KEY,
    SURFACE_METADATA,
    attempted_group,
    elapsed,
    model_group,
    record_in,
    served_id,
)
from router_hooks.client_errors import bad_request, invalid_request, prompt_field, unknown_key_without_database
from router_hooks.context_gate import ContextGate
from router_hooks.health_gate import HealthGate

logger = logging.getLogger(__name__)

# The `classifier` of a record that was not classified but continues a stored response.
CONTINUATION = "previous_response"
__all__ = ["HEADER", "AgentRouterHook"]
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

    def is_routed(self, model: Any) -> bool:
        """`model` is the virtual model or an alias of it: the hook classifies the request."""
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
        surface = surface_of(call_type)
        if surface is None:
            return data
        if not self.is_routed(data.get("model")):
            if data.get("model") in self.metrics.models:
                self._check_direct(surface, data)
            return data
        prompt: Prompt | None = None
        continued: RoutingRecord | None = None
        try:
            validate(surface, data)
            prompt = read(surface, data)
            continued = await self._continuation(surface, data, prompt)
        except PromptError as exc:
            # Bad input, not a plugin failure: a clear 400 before any backend is called (LiteLLM
            # renders a ProxyException OpenAI-style, and Anthropic-style on /v1/messages).
            raise bad_request(exc, surface) from exc
        except Exception:
            # A bug in a reader must not fail the request: route() fails open for prompt=None.
            logger.exception("agent-router: reading the %s request failed", surface)
        record = continued or await self.route(prompt, request=data, call_type=str(call_type))
        data["model"] = record.routed_model
        key = SURFACE_METADATA[surface]
        metadata = data.get(key)
        if not isinstance(metadata, dict):
            metadata = data[key] = {}
        metadata[META_KEY] = record
        request_errors.attach(metadata)
        logger.debug("agent-router: routed %s to %s (%s, %.2f)", surface, record.routed_model,
                     record.intent, record.confidence)
        return data

    def _check_direct(self, surface: Surface, data: Mapping[str, Any]) -> None:
        """A request naming one of the routed model groups itself is not classified, but bad input
        still gets its 400 here rather than LiteLLM's 500 (seen: Responses `input: false`)."""
        try:
            validate(surface, data)
            read(surface, data)
        except PromptError as exc:
            raise bad_request(exc, surface) from exc
        except Exception:  # a reader bug must not fail a request the hook does not route
            logger.exception("agent-router: checking the %s request failed", surface)

    async def route(self, prompt: Prompt | None, count: bool = True,
                    request: Mapping[str, Any] | None = None, call_type: str = "acompletion") -> RoutingRecord:
        """Classify `prompt` and pick its model, input window and health included; `count=False`
        records no metric (the operator's /router/classify asks without sending a request).
        `prompt=None` (the request could not be read) fails open like a classifier failure: the
        default model. `request` is the whole body, measured against the models' input windows."""
        started = self._clock()
        try:
            if prompt is None:
                raise RuntimeError("no prompt: the request could not be read")
            decision = self.classifier.classify(prompt)
            route = choose_route(decision, self.config)
            if count:
                self.metrics.classified(route.intent, route.level, self._clock() - started)
            record = RoutingRecord.of(route, decision, self.classifier.kind, started)
        except Exception:
            logger.exception("agent-router: classification failed; routing to the default model")
            if count:
                self.metrics.error(self.config.default_model, "classifier")
            record = RoutingRecord.of(default_route(self.config), None, self.classifier.kind, started)
        record, fitting = self._fit_window(record, request, call_type)
        return record.rerouted(await self._available(record.routed_model, fitting), "health")

    def _fit_window(
        self, record: RoutingRecord, data: Mapping[str, Any] | None, call_type: str
    ) -> tuple[RoutingRecord, Callable[[str], bool] | None]:
        """The record sent to the first model of its chain whose input window takes the whole
        request, and a predicate keeping later reroutes (health) to models that fit."""
        fit = self._fit(record.chosen_model, data, call_type)
        if fit is None or self.context is None:
            return record, None
        if fit.model is None:
            # No model of the chain can take the prompt: refuse before any backend is called.
            raise invalid_request(fit.message(), prompt_field(call_type), surface_of(call_type),
                                  code="context_length_exceeded")
        return record.rerouted(fit.model, "context_window"), self.context.fitter(fit.tokens)

    def _fit(self, model: str, data: Mapping[str, Any] | None, call_type: str) -> Fit | None:
        """Where the request fits by its whole text (None: not measured, or measuring failed)."""
        if self.context is None or data is None:
            return None
        try:
            size = measure_request(data, call_type)
            return None if size is None else self.context.fit(model, size)
        except Exception:
            logger.exception("agent-router: context-window check failed; keeping %s", model)
            self.metrics.error(model, "other")
            return None

    async def _continuation(self, surface: Surface, data: Mapping[str, Any],
                            prompt: Prompt) -> RoutingRecord | None:
        """A Responses request continuing a stored response with no user-typed text (an agent loop
        sending tool results by `previous_response_id`) stays on the model that answered before."""
        if surface != "responses" or prompt.typed:
            return None
        previous = data.get("previous_response_id")
        if not isinstance(previous, str) or not previous:
            return None
        # The id the client holds is encrypted by LiteLLM's responses_id_security hook, which runs
        # after this hook (seen in 1.108.7); an id already in LiteLLM's plain form is read as is.
        deployment = continued_deployment(previous) or continued_deployment(decrypted_response_id(previous))
        served = self._deployments(deployment)
        if served is None or served[0] not in self.config.models:
            return None
        model = served[0]
        intent = next((name for name, i in self.config.intents.items() if i.model == model),
                      self.config.default_intent)
        route = Route(model, intent, 1.0, "high", False)
        record = RoutingRecord.of(route, None, CONTINUATION, self._clock())
        return record.rerouted(await self._available(model), "health")

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
            headers: dict[str, str] = {}
            call_info = litellm_call_info or {}
            api_base = call_info.get("api_base")
            if isinstance(api_base, str) and has_credentials(api_base):
                # Callback headers override LiteLLM's own (proxy/utils.py, 1.108.7): the client
                # sees the backend's address, never the credentials in it.
                headers[API_BASE_HEADER] = without_credentials(api_base)
            record = record_in(data)
            if record is not None:
                served = self._deployments(served_id(call_info, data))
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
            model = model_group(kwargs)
            if model not in self.metrics.models:
                return  # background health checks have no model group; other groups are not ours
            self._observe(model, None)
            record = record_in(kwargs.get("litellm_params"))
            if record is None:
                self.metrics.served(model, model, DIRECT_INTENT, elapsed(start_time, end_time))
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
            model = attempted_group(request_data, call_type)
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
