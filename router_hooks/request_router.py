"""The routing steps of one request, in order: classify, apply the policy, fit the input window,
reroute around unhealthy models. Each step fails open to the request's best remaining choice."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from plugins.access import allowed_primary
from plugins.config import RouterConfig
from plugins.context_window import Fit
from plugins.metrics.series import RouterMetrics
from plugins.prompt import Prompt
from plugins.record import RoutingRecord
from plugins.request_size import measure_request
from plugins.routing import choose_route, default_route
from plugins.surfaces import surface_of
from plugins.tenant_policy import Caller
from router_hooks.classification import Classification
from router_hooks.client_errors import invalid_request, no_allowed_model, prompt_field
from router_hooks.context_gate import ContextGate
from router_hooks.health_gate import HealthGate

logger = logging.getLogger(__name__)


class RequestRouter:
    def __init__(
        self,
        config: RouterConfig,
        classification: Classification,
        metrics: RouterMetrics,
        clock: Callable[[], float],
        health: HealthGate | None = None,
        context: ContextGate | None = None,
        chains: Callable[[], Mapping[str, tuple[str, ...]]] = dict,
    ) -> None:
        self.config = config
        self.classification = classification
        self.metrics = metrics
        self._clock = clock
        self.health = health
        self.context = context
        self._chains = chains

    async def route(self, prompt: Prompt | None, count: bool = True,
                    request: Mapping[str, Any] | None = None, call_type: str = "acompletion",
                    caller: Caller | None = None) -> RoutingRecord:
        """Classify `prompt` and pick its model, the caller's access, input window and health
        included; `count=False` records no metric (the operator's /router/classify asks without
        sending a request). `prompt=None` (the request could not be read) fails open like a
        classifier failure: the default model. `request` is the whole body, measured against the
        models' input windows; `caller` the key's and team's policy, budget and models (None: the
        YAML's policy, every model)."""
        started = self._clock()
        config = caller.policy.config if caller is not None else self.config
        allowed = caller.allowed if caller is not None else None
        try:
            if prompt is None:
                raise RuntimeError("no prompt: the request could not be read")
            decided = await self.classification.decide(prompt, started, observed=count)
            route = choose_route(decided.decision, config)
            if count:
                self.metrics.classified(route.intent, route.level, self._clock() - started)
            record = RoutingRecord.of(route, decided.decision, decided.classifier, started)
        except Exception:
            logger.exception("agent-router: classification failed; routing to the default model")
            if count:
                self.metrics.error(self.config.default_model, "classifier")
            # Nobody decided: the record names the configured classifier, as before issue 18.
            record = RoutingRecord.of(default_route(config), None, self.classification.kind, started)
        if caller is not None and caller.budget_models and not record.defaulted:
            record = self._budgeted(record, caller.budget_models, count)
        if caller is not None and caller.allowed is not None:
            record = self._within(record, caller, call_type, count)
        own = caller.chains if caller is not None else None
        record, fitting = self._fit_window(record, request, call_type, allowed, own)
        if allowed is not None:
            fitting = _both(fitting, allowed.__contains__)
        chain = own.get(record.routed_model, ()) if own is not None else None
        return record.rerouted(await self.available(record.routed_model, fitting, chain), "health")

    def _budgeted(self, record: RoutingRecord, models: Mapping[str, str], count: bool) -> RoutingRecord:
        """The caller's spend reached its `budget.at`: the intent goes to the budget's model."""
        target = models.get(record.intent)
        if target is None or target == record.chosen_model:
            return record
        if count:
            self.metrics.policy_rerouted(record.chosen_model, target, "budget")
        return record.with_primary(target, "budget")

    def _within(self, record: RoutingRecord, caller: Caller, call_type: str, count: bool) -> RoutingRecord:
        """The record with the caller's primary: the intent's model if allowed, else the first
        allowed model of its fallback chain (then of the YAML's models); none at all: 403."""
        model = record.chosen_model
        chain = caller.chain(model, self._chains())
        primary = allowed_primary(model, chain, caller.allowed or frozenset(), self.config.models)
        if primary is None:
            raise no_allowed_model(surface_of(call_type))
        if primary != model and count:
            self.metrics.policy_rerouted(model, primary, "access")
        return record.with_primary(primary, "access")

    def _fit_window(
        self, record: RoutingRecord, data: Mapping[str, Any] | None, call_type: str,
        allowed: frozenset[str] | None = None, chains: Mapping[str, tuple[str, ...]] | None = None,
    ) -> tuple[RoutingRecord, Callable[[str], bool] | None]:
        """The record sent to the first (allowed) model of its chain whose input window takes the
        whole request, and a predicate keeping later reroutes (health) to models that fit."""
        fit = self._fit(record.chosen_model, data, call_type, allowed, chains)
        if fit is None or self.context is None:
            return record, None
        if fit.model is None:
            # No model of the chain can take the prompt: refuse before any backend is called.
            raise invalid_request(fit.message(), prompt_field(call_type), surface_of(call_type),
                                  code="context_length_exceeded")
        return record.rerouted(fit.model, "context_window"), self.context.fitter(fit.tokens)

    def _fit(self, model: str, data: Mapping[str, Any] | None, call_type: str,
             allowed: frozenset[str] | None, chains: Mapping[str, tuple[str, ...]] | None) -> Fit | None:
        """Where the request fits by its whole text (None: not measured, or measuring failed)."""
        if self.context is None or data is None:
            return None
        try:
            size = measure_request(data, call_type)
            chain = chains.get(model, ()) if chains is not None else None
            return None if size is None else self.context.fit(model, size, allowed, chain)
        except Exception:
            logger.exception("agent-router: context-window check failed; keeping %s", model)
            self.metrics.error(model, "other")
            return None

    async def available(self, model: str, fits: Callable[[str], bool] | None = None,
                        chain: tuple[str, ...] | None = None) -> str:
        """`model`, or the first available (and fitting) model of its chain (`chain`: the caller's
        own, else the YAML's) when it is unhealthy."""
        if self.health is None:
            return model
        try:
            return await self.health.reroute(model, fits, chain)
        except Exception:
            logger.exception("agent-router: health check failed; keeping %s", model)
            return model


def _both(first: Callable[[str], bool] | None, second: Callable[[str], bool]) -> Callable[[str], bool]:
    return second if first is None else (lambda model: first(model) and second(model))
