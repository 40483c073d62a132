"""The LiteLLM adapter: one leaf class whose methods are the callbacks LiteLLM calls.

Thin on purpose: each routing step has its own module (classification and dispatch, the policy
with context window and health in `request_router`, `continuation`, the header and metric events in
`callbacks`), and text extraction, policy and metrics live in `plugins`. LiteLLM 1.108.7 calls
`async_pre_call_hook` only when the leaf class defines it itself (`vars(cls)`, proxy/utils.py):
this class must keep defining it, and must not be subclassed to change it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, AsyncIterable, Callable, Mapping
from dataclasses import replace
from typing import Any

from fastapi import HTTPException
from litellm.integrations.custom_logger import CustomLogger

from plugins.capture.writer import CaptureWriter
from plugins.config import RouterConfig
from plugins.feedback.desk import FeedbackDesk
from plugins.metrics.series import RouterMetrics
from plugins.policies import BudgetMemory, Policies, budget_models
from plugins.prompt import Prompt, PromptError
from plugins.record import HEADER, RoutingRecord
from plugins.routing import fallback_chains
from plugins.shadow import ShadowEvaluator
from plugins.surfaces import Surface, read, surface_of, validate
from plugins.tenant_policy import Caller
from router_hooks import request_errors
from router_hooks.body_metadata import BodyMetadata
from router_hooks.call_data import META_KEY, PROMPT_KEY, SURFACE_KEY, SURFACE_METADATA, record_in, take_prompt
from router_hooks.callbacks import Outcomes
from router_hooks.classification import Classification
from router_hooks.client_errors import bad_request
from router_hooks.context_gate import ContextGate
from router_hooks.continuation import CONTINUATION, DeploymentLookup, continued_record
from router_hooks.decision_handles import DecisionHandles
from router_hooks.health_gate import HealthGate
from router_hooks.request_router import RequestRouter
from router_hooks.tenant_access import AUTH_KEY, TenantAccess, granted

logger = logging.getLogger(__name__)

__all__ = ["CONTINUATION", "HEADER", "AgentRouterHook"]

AliasLookup = Callable[[], Mapping[str, Any]]
# Tasks whose first turn's budget decision is kept (a 16-byte digest plus the caller's id each).
BUDGET_MEMORY_SIZE = 10_000


class AgentRouterHook(CustomLogger):
    def __init__(
        self,
        config: RouterConfig,
        classification: Classification,
        metrics: RouterMetrics,
        deployments: DeploymentLookup,
        aliases: AliasLookup,
        clock: Callable[[], float] = time.monotonic,
        health: HealthGate | None = None,
        context: ContextGate | None = None,
        access: TenantAccess | None = None,
        desk: FeedbackDesk | None = None,
        shadow: ShadowEvaluator | None = None,
        capture: CaptureWriter | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.classification = classification
        self.metrics = metrics
        self.health = health
        self.context = context
        self._deployments = deployments
        self._aliases = aliases
        self._clock = clock
        self.access = access
        self.policies = Policies(config, metrics.policy_error)
        self.budgets = BudgetMemory(BUDGET_MEMORY_SIZE)
        chains = health.chains if health is not None else dict
        self.router = RequestRouter(config, classification, metrics, clock, health, context, chains)
        self.outcomes = Outcomes(metrics, deployments, clock, health)
        self.handles = DecisionHandles(desk, metrics, capture)
        self.shadow = shadow
        self.capture = capture
        self.body_metadata = BodyMetadata(self.outcomes) if config.metadata_in_body else None

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

    async def route(self, prompt: Prompt | None, count: bool = True,
                    request: Mapping[str, Any] | None = None, call_type: str = "acompletion",
                    caller: Caller | None = None) -> RoutingRecord:
        return await self.router.route(prompt, count, request, call_type, caller)

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
            continued = continued_record(surface, data, prompt, self.config, self._deployments, self._clock())
        except PromptError as exc:
            # Bad input, not a plugin failure: a clear 400 before any backend is called (LiteLLM
            # renders a ProxyException OpenAI-style, and Anthropic-style on /v1/messages).
            raise bad_request(exc, surface) from exc
        except Exception:
            # A bug in a reader must not fail the request: route() fails open for prompt=None.
            logger.exception("agent-router: reading the %s request failed", surface)
        caller = await self.caller(user_api_key_dict)
        if prompt is not None and caller.policy.budget is not None:
            caller = self._budget_kept(caller, prompt, user_api_key_dict)
        allowed = caller.allowed
        if continued is not None and (allowed is None or continued.routed_model in allowed):
            fits = allowed.__contains__ if allowed is not None else None
            model = continued.routed_model
            own = caller.chains.get(model, ()) if caller.chains is not None else None
            record = continued.rerouted(await self.router.available(model, fits, own), "health")
        else:
            record = await self.router.route(prompt, request=data, call_type=str(call_type), caller=caller)
        data["model"] = record.routed_model
        key = SURFACE_METADATA[surface]
        metadata = data.get(key)
        if not isinstance(metadata, dict):
            metadata = data[key] = {}
        metadata[META_KEY] = record
        if allowed is not None and metadata.get(AUTH_KEY) is not None:
            # LiteLLM re-checks each fallback against this object: name the caller's routed models.
            metadata[AUTH_KEY] = granted(metadata[AUTH_KEY], allowed)
        metadata[SURFACE_KEY] = surface
        if (self.shadow is not None or self.capture is not None) and prompt is not None and continued is None:
            metadata[PROMPT_KEY] = prompt  # for the shadow classifier and capture, after the response (_after)
        request_errors.attach(metadata)
        logger.debug("agent-router: routed %s to %s (%s, %.2f)", surface, record.routed_model,
                     record.intent, record.confidence)
        return data

    async def caller(self, token: Any) -> Caller:
        """The caller's policy (key over team over YAML), budget and models; a failed lookup
        restricts nothing and is counted (LiteLLM's own checks still refuse what a key may not call)."""
        policy = self.policies.default
        budget: Mapping[str, str] = {}
        try:
            policy = self.policies.resolve(getattr(token, "token", None), getattr(token, "metadata", None),
                                           getattr(token, "team_id", None), getattr(token, "team_metadata", None))
            budget = budget_models(policy, (getattr(token, "spend", None), getattr(token, "max_budget", None)),
                                   (getattr(token, "team_spend", None), getattr(token, "team_max_budget", None)))
        except Exception:
            logger.exception("agent-router: the caller's policy could not be read; the YAML's serves")
            self.metrics.error(self.config.default_model, "other")
        allowed = None
        if self.access is not None:
            try:
                allowed = await self.access.allowed(token)
            except Exception:
                logger.exception("agent-router: the caller's model access could not be read; routing unrestricted")
                self.metrics.error(self.config.default_model, "other")
        return Caller(policy, budget, allowed, _own_chains(token))

    def _budget_kept(self, caller: Caller, prompt: Prompt, token: Any) -> Caller:
        """The budget decision of the task's first turn (`BudgetMemory`), for every later turn."""
        budget = caller.policy.budget
        who = getattr(token, "token", None) or getattr(token, "team_id", None) or ""
        try:
            reached = self.budgets.keep(str(who), prompt, bool(caller.budget_models))
        except Exception:  # a cache bug must not fail the request: this turn's own decision stands
            logger.exception("agent-router: the budget memory failed")
            return caller
        models = budget.intent_models if reached and budget is not None else {}
        return caller if models == caller.budget_models else replace(caller, budget_models=models)

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

    async def async_post_call_success_hook(self, data: dict[str, Any], user_api_key_dict: Any,
                                           response: Any) -> Any:
        """No response is not a success (`Outcomes.no_response`); a response's decision is kept
        under its id for feedback (`DecisionHandles`)."""
        if response is not None:
            await self.handles.after_response(data, user_api_key_dict, response, self._after(data))
            if self.body_metadata is not None and record_in(data) is not None:
                self.body_metadata.on_response(data, response)
            return None
        raise self.outcomes.no_response(data)

    def async_post_call_streaming_iterator_hook(
        self, user_api_key_dict: Any, response: AsyncIterable[Any], request_data: dict[str, Any]
    ) -> AsyncGenerator[Any, None]:
        """Streams pass through unchanged; the first chunk with the response id stores the handle.
        (Defined on the leaf class: LiteLLM 1.108.7 wraps streams only for callbacks that do.)"""
        stream = self.handles.stream(user_api_key_dict, response, request_data, self._after(request_data))
        if self.body_metadata is not None and record_in(request_data) is not None:
            stream = self.body_metadata.stream(stream, request_data)
        return stream

    def _after(self, data: Mapping[str, Any]) -> Prompt | None:
        """Once a routed request's response is under way: its prompt to the shadow worker, and back
        for capture (which waits for the response id)."""
        if self.shadow is None and self.capture is None:
            return None
        try:
            prompt, record = take_prompt(data), record_in(data)
            if not isinstance(prompt, Prompt) or record is None:
                return None
            if self.shadow is not None:
                self.shadow.submit(prompt, record.intent)
            return prompt
        except Exception:
            logger.exception("agent-router: could not hand a request to the shadow classifier")
            return None

    async def async_post_call_response_headers_hook(
        self,
        data: dict[str, Any],
        user_api_key_dict: Any,
        response: Any,
        request_headers: dict[str, str] | None = None,
        litellm_call_info: dict[str, Any] | None = None,
    ) -> dict[str, str] | None:
        return self.outcomes.headers(data, litellm_call_info or {})

    async def async_log_success_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        self.outcomes.succeeded(kwargs, start_time, end_time)

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
        # async_log_failure_event is not used: LiteLLM 1.108.7 fires it once per client request
        # (has_logged_async_failure), so failures of fallback targets were never counted.
        self.outcomes.attempt_failed(request_data, exception, call_type)

    async def async_post_call_failure_hook(
        self,
        request_data: dict[str, Any],
        original_exception: Exception,
        user_api_key_dict: Any,
        traceback_str: str | None = None,
    ) -> HTTPException | None:
        return self.outcomes.request_failed(request_data, original_exception)


def _own_chains(token: Any) -> Mapping[str, tuple[str, ...]] | None:
    """The key's `router_settings.fallbacks` (LiteLLM 1.108.7 prefers them over the router's,
    common_request_processing.py `_configured_fallbacks`); a team's live in the team row, which
    only the database has."""
    settings = getattr(token, "router_settings", None)
    fallbacks = settings.get("fallbacks") if isinstance(settings, Mapping) else None
    return fallback_chains(fallbacks) if isinstance(fallbacks, list) and fallbacks else None
