"""Every agent_router_* Prometheus series, on an injected registry.

The names and labels are a contract with the client's dashboards: tests/test_metrics_contract.py
lists them. Label values come only from the config (models, intents) or fixed sets below.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal, get_args

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from plugins.errors import ERROR_TYPES, ErrorType
from plugins.metrics.loop import LoopMetrics
from plugins.metrics.window import FallbackWindow

CONFIDENCE_LEVELS: Final = ("high", "medium", "low")
STATUSES: Final = ("success", "error")
# The intent label of requests that named a model themselves and were not classified.
DIRECT_INTENT: Final = "direct"
# Why the fast classifier decided a request instead of the configured (encoder) one: its deadline
# passed, its queue was full, or it raised.
FallbackReason = Literal["deadline", "queue_full", "error"]
FALLBACK_REASONS: Final[tuple[FallbackReason, ...]] = get_args(FallbackReason)
# Why a tenant's primary is not the YAML's (plugins.record.PolicyReason).
POLICY_REASONS: Final = ("access", "budget")
# Whose agent_router policy did not validate.
POLICY_SCOPES: Final = ("key", "team")

# LLM calls take from tens of milliseconds (echo backends, short answers) to minutes.
LATENCY_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120)
# Classification is meant to cost well under a millisecond: resolve down to 10 µs. The encoder
# (issue 18) takes milliseconds and is waited for up to its deadline (50 ms by default): 25 and 50 ms
# show how close to it requests come.
CLASSIFY_BUCKETS: Final = (1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1)


class RouterMetrics:
    """The bundle's series. Pass `registry=None` for the process default registry."""

    def __init__(
        self,
        models: Iterable[str],
        intents: Iterable[str],
        registry: CollectorRegistry | None = None,
        fallback_window: FallbackWindow | None = None,
    ) -> None:
        reg = registry if registry is not None else REGISTRY
        self.models = tuple(models)
        configured = tuple(intents)
        self.intents = (*configured, DIRECT_INTENT)
        self.requests = Counter(
            "agent_router_requests", "Client requests, by served model, intent and outcome.",
            ["model", "intent", "status"], registry=reg,
        )
        self.model_requests = Counter(
            "agent_router_model_requests", "Requests served, by the model group that served them.",
            ["model"], registry=reg,
        )
        self.fallback_requests = Counter(
            "agent_router_fallback_requests",
            "Requests a fallback model served instead of the primary.",
            ["from_model", "to_model"], registry=reg,
        )
        # Each worker keeps its own window; with several workers the exported value is the
        # highest worker's rate (conservative for alerting). The exact fleet-wide ratio is
        # rate(agent_router_fallback_requests_total) / rate(agent_router_requests_total).
        self.fallback_rate = Gauge(
            "agent_router_fallback_rate",
            "Share of requests whose primary was `model` that a fallback served, over the last "
            "window (default 300 s).",
            ["model"], registry=reg, multiprocess_mode="livemax",
        )
        self.latency = Histogram(
            "agent_router_latency_seconds", "End-to-end request latency seen by the proxy.",
            ["model", "intent"], buckets=LATENCY_BUCKETS, registry=reg,
        )
        self.classification_latency = Histogram(
            "agent_router_classification_latency_seconds", "Time spent classifying one request.",
            buckets=CLASSIFY_BUCKETS, registry=reg,
        )
        self.intent_classification = Counter(
            "agent_router_intent_classification",
            "Classifier decisions, by intent and confidence level.",
            ["intent", "confidence"], registry=reg,
        )
        # Every worker runs its own monitor: a model is healthy only if no live worker sees it down.
        self.model_health = Gauge(
            "agent_router_model_health",
            "1 when the health monitor sees the model healthy, else 0.",
            ["model"], registry=reg, multiprocess_mode="livemin",
        )
        self.errors = Counter(
            "agent_router_errors",
            "Failed model calls and plugin failures, by model and error type.",
            ["model", "error_type"], registry=reg,
        )
        # Issue 18: requests the fast classifier decided because the encoder could not in time.
        self.classifier_fallbacks = Counter(
            "agent_router_classifier_fallbacks",
            "Requests the fast classifier decided in place of the configured one, by reason.",
            ["reason"], registry=reg,
        )
        # Issue 20: requests whose tenant (access, budget) moved the primary away from the YAML's map.
        self.policy_reroutes = Counter(
            "agent_router_policy_reroutes",
            "Requests whose primary the caller's access or budget moved off the intent's model.",
            ["from_model", "to_model", "reason"], registry=reg,
        )
        self.policy_errors = Counter(
            "agent_router_policy_errors",
            "Requests whose key's or team's agent_router policy did not validate (the next one served).",
            ["scope"], registry=reg,
        )
        # Issue 19: the learning loop's series (feedback), on the same registry.
        self.loop = LoopMetrics(configured, reg)
        self.window = fallback_window or FallbackWindow()
        self._initialise()

    def _initialise(self) -> None:
        """Create every known label combination at zero, so dashboards see series from the start."""
        for model in self.models:
            self.model_requests.labels(model)
            self.fallback_rate.labels(model).set(0.0)
            for intent in self.intents:
                self.latency.labels(model, intent)
                for status in STATUSES:
                    self.requests.labels(model, intent, status)
            for error_type in ERROR_TYPES:
                self.errors.labels(model, error_type)
            for other in self.models:
                if other != model:
                    self.fallback_requests.labels(model, other)
                    for reason in POLICY_REASONS:
                        self.policy_reroutes.labels(model, other, reason)
        for intent in self.intents:
            for level in CONFIDENCE_LEVELS:
                self.intent_classification.labels(intent, level)
        for reason in FALLBACK_REASONS:
            self.classifier_fallbacks.labels(reason)
        for scope in POLICY_SCOPES:
            self.policy_errors.labels(scope)

    def classified(self, intent: str, level: str, seconds: float) -> None:
        self.classification_latency.observe(seconds)
        self.intent_classification.labels(intent, level).inc()

    def policy_rerouted(self, from_model: str, to_model: str, reason: str) -> None:
        self.policy_reroutes.labels(from_model, to_model, reason).inc()

    def policy_error(self, scope: str) -> None:
        self.policy_errors.labels(scope).inc()

    def classifier_fallback(self, reason: FallbackReason) -> None:
        self.classifier_fallbacks.labels(reason).inc()

    def served(self, primary: str, model: str, intent: str, seconds: float) -> None:
        """A request succeeded; `primary` is the model it was routed to first."""
        self.requests.labels(model, intent, "success").inc()
        self.model_requests.labels(model).inc()
        self.latency.labels(model, intent).observe(seconds)
        if primary != model:
            self.fallback_requests.labels(primary, model).inc()
        self._record_window(primary, fell_back=primary != model)

    def failed(self, primary: str, intent: str) -> None:
        """A request failed for the client after every fallback was tried."""
        self.requests.labels(primary, intent, "error").inc()
        self._record_window(primary, fell_back=False)

    def error(self, model: str, error_type: ErrorType) -> None:
        self.errors.labels(model, error_type).inc()

    def health(self, model: str, healthy: bool) -> None:
        self.model_health.labels(model).set(1.0 if healthy else 0.0)

    def refresh_fallback_rates(self) -> None:
        """Recompute every model's rate: it decays as requests leave the window, traffic or not."""
        for model in self.models:
            self.fallback_rate.labels(model).set(self.window.rate(model))

    def _record_window(self, primary: str, fell_back: bool) -> None:
        self.window.record(primary, fell_back)
        self.fallback_rate.labels(primary).set(self.window.rate(primary))
