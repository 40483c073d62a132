"""The routing record: what the hook decided for one request, from the classifier's choice to the
model it sent the request to. Built once by the pre-call hook, carried through LiteLLM's request
metadata, read by the header and metrics callbacks, rendered to `x-routing-metadata` by `header`."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Literal

from plugins.classify.decision import Decision
from plugins.routing import Level, Route

HEADER = "x-routing-metadata"
# Why a model other than the classifier's choice served:
# - "health": the hook sent the request past its chosen model (the monitor saw it unhealthy, or
#   LiteLLM had cooled down all its deployments);
# - "fallback": LiteLLM walked the fallback chain after a failed attempt;
# - "context_window": the prompt did not fit the chosen model's input window.
Reason = Literal["health", "fallback", "context_window"]
# Why the tenant's primary differs from the YAML's map (issue 20): the caller may not use the
# intent's model ("access"), or its spend reached its policy's `budget.at` ("budget").
PolicyReason = Literal["access", "budget"]


@dataclass(frozen=True, slots=True)
class RoutingRecord:
    intent: str
    confidence: float
    level: Level
    #: The tenant's primary: the model the routing policy picked for the intent (the default model
    #: when `defaulted`), after the caller's access and budget.
    chosen_model: str
    #: The model the hook sent the request to; differs from `chosen_model` only with `route_reason`.
    routed_model: str
    #: True when confidence was under `thresholds.low` (or classification failed): the default serves.
    defaulted: bool
    classifier: str
    top: tuple[tuple[str, float], ...]
    margin: float
    #: The hook's clock when routing began (end-to-end latency is measured from here).
    started: float
    route_reason: Reason | None = None
    #: Set when the tenant's access or budget moved the primary away from `policy_from` (the YAML's).
    policy_reason: PolicyReason | None = None
    policy_from: str | None = None

    @classmethod
    def of(cls, route: Route, decision: Decision | None, classifier: str, started: float) -> RoutingRecord:
        """The record of a policy decision; `decision` is None when classification failed."""
        top = tuple(decision.top()) if decision is not None else ()
        margin = round(decision.margin, 4) if decision is not None else 0.0
        return cls(route.intent, route.confidence, route.level, route.model, route.model,
                   route.defaulted, classifier, top, margin, started)

    def rerouted(self, model: str, reason: Reason) -> RoutingRecord:
        """The same decision sent to `model` instead (no-op when it is already the routed model)."""
        if model == self.routed_model:
            return self
        return replace(self, routed_model=model, route_reason=None if model == self.chosen_model else reason)

    def with_primary(self, model: str, reason: PolicyReason) -> RoutingRecord:
        """The same decision with the tenant's primary `model` in place of the YAML's."""
        if model == self.chosen_model:
            return self
        return replace(self, chosen_model=model, routed_model=model, policy_reason=reason,
                       policy_from=self.policy_from or self.chosen_model)

    def fallback_used(self, served: str | None) -> bool:
        """A model other than the classifier's choice served (unknown `served`: no)."""
        return served is not None and served != self.chosen_model

    def reason(self, served: str | None) -> Reason | PolicyReason | None:
        """Why `served` and not the YAML's model answered: the first cause that changed the model,
        in the order access, context window, health, fallback, budget; None when nothing did."""
        if self.policy_reason == "access":
            return "access"
        if self.fallback_used(served):
            return self.route_reason if served == self.routed_model else "fallback"
        return self.policy_reason

    def header(self, served: tuple[str, str] | None, now: float) -> str:
        """The `x-routing-metadata` value; `served` is (model group, served model name) if known."""
        group, name = served if served is not None else (None, None)
        body = {
            "model_id": group,
            "model_name": name,
            "intent": self.intent,
            "confidence": self.confidence,
            "confidence_level": self.level,
            "primary_model": self.chosen_model,
            "routed_model": self.routed_model,
            "fallback_used": self.fallback_used(group),
            "reason": self.reason(group),
            "defaulted": self.defaulted,
            "classifier": self.classifier,
            "top_intents": [{"intent": i, "score": s} for i, s in self.top],
            "margin": self.margin,
            "total_time_seconds": round(now - self.started, 6),
        }
        return json.dumps(body, separators=(",", ":"))
