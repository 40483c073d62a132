"""The agent_router_* series are a contract with the client's dashboards and alerts: names, types
and label sets are pinned here, on a fresh registry."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from plugins.errors import error_type
from plugins.metrics.series import RouterMetrics
from plugins.metrics.window import FallbackWindow
from tests.support.clock import FakeClock

MODELS = ("llama", "qwen-coder", "deepseek-r1")
INTENTS = ("code", "reasoning", "general")

# family name as exposed (text format) -> (type, label names)
CONTRACT: dict[str, tuple[str, frozenset[str]]] = {
    "agent_router_requests": ("counter", frozenset({"model", "intent", "status"})),
    "agent_router_model_requests": ("counter", frozenset({"model"})),
    "agent_router_fallback_requests": ("counter", frozenset({"from_model", "to_model"})),
    "agent_router_fallback_rate": ("gauge", frozenset({"model"})),
    "agent_router_latency_seconds": ("histogram", frozenset({"model", "intent"})),
    "agent_router_classification_latency_seconds": ("histogram", frozenset()),
    "agent_router_intent_classification": ("counter", frozenset({"intent", "confidence"})),
    "agent_router_model_health": ("gauge", frozenset({"model"})),
    "agent_router_errors": ("counter", frozenset({"model", "error_type"})),
    # Issue 18: requests the fast classifier decided in place of the encoder.
    "agent_router_classifier_fallbacks": ("counter", frozenset({"reason"})),
    # Issue 20: primaries the caller's access or budget moved off the intent's model.
    "agent_router_policy_reroutes": ("counter", frozenset({"from_model", "to_model", "reason"})),
    "agent_router_policy_errors": ("counter", frozenset({"scope"})),
    # Issue 19: the first feedback per routed response.
    "agent_router_feedback": ("counter", frozenset({"predicted_intent", "correct_intent", "source"})),
    "agent_router_shadow_decisions": ("counter", frozenset({"live_intent", "shadow_intent"})),
    "agent_router_shadow_dropped": ("counter", frozenset()),
    "agent_router_capture_dropped": ("counter", frozenset({"reason"})),
}
SAMPLE_NAMES = {
    "agent_router_requests_total", "agent_router_model_requests_total",
    "agent_router_fallback_requests_total", "agent_router_fallback_rate",
    "agent_router_latency_seconds_bucket", "agent_router_latency_seconds_count",
    "agent_router_latency_seconds_sum", "agent_router_classification_latency_seconds_bucket",
    "agent_router_classification_latency_seconds_count",
    "agent_router_classification_latency_seconds_sum",
    "agent_router_intent_classification_total", "agent_router_model_health",
    "agent_router_errors_total", "agent_router_classifier_fallbacks_total",
    "agent_router_policy_reroutes_total", "agent_router_policy_errors_total",
    "agent_router_feedback_total", "agent_router_shadow_decisions_total", "agent_router_shadow_dropped_total",
    "agent_router_capture_dropped_total",
}
ERROR_TYPES = {"timeout", "connection", "http_5xx", "http_4xx", "rate_limit", "classifier", "other"}
FALLBACK_REASONS = {"deadline", "queue_full", "error"}


@pytest.fixture()
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture()
def metrics(registry: CollectorRegistry) -> RouterMetrics:
    m = RouterMetrics(MODELS, INTENTS, registry=registry)
    m.health("llama", True)  # the health monitor sets it; unset gauges export no sample
    return m


def exposed(registry: CollectorRegistry) -> dict[str, tuple[str, frozenset[str], set[str]]]:
    """family -> (type, label names except `le`, sample names without `_created`)."""
    out = {}
    for family in registry.collect():
        samples = [s for s in family.samples if not s.name.endswith("_created")]
        labels = frozenset(k for s in samples for k in s.labels if k != "le")
        out[family.name] = (family.type, labels, {s.name for s in samples})
    return out


def test_every_series_name_type_and_labels(
    metrics: RouterMetrics, registry: CollectorRegistry
) -> None:
    families = exposed(registry)
    assert {name: (t, labels) for name, (t, labels, _) in families.items()} == CONTRACT
    assert set().union(*(names for _, _, names in families.values())) == SAMPLE_NAMES


def test_known_label_combinations_exist_at_zero(registry: CollectorRegistry) -> None:
    RouterMetrics(MODELS, INTENTS, registry=registry)
    get = registry.get_sample_value
    for model in MODELS:
        assert get("agent_router_model_requests_total", {"model": model}) == 0
        assert get("agent_router_fallback_rate", {"model": model}) == 0
        for intent in (*INTENTS, "direct"):
            for status in ("success", "error"):
                labels = {"model": model, "intent": intent, "status": status}
                assert get("agent_router_requests_total", labels) == 0
        for kind in ERROR_TYPES:
            assert get("agent_router_errors_total", {"model": model, "error_type": kind}) == 0
    for intent in INTENTS:
        for level in ("high", "medium", "low"):
            labels = {"intent": intent, "confidence": level}
            assert get("agent_router_intent_classification_total", labels) == 0
    for reason in FALLBACK_REASONS:
        assert get("agent_router_classifier_fallbacks_total", {"reason": reason}) == 0
    for predicted in INTENTS:
        for correct in INTENTS:
            for source in ("user", "reviewer", "model"):
                labels = {"predicted_intent": predicted, "correct_intent": correct, "source": source}
                assert get("agent_router_feedback_total", labels) == 0
            assert get("agent_router_shadow_decisions_total", {"live_intent": predicted, "shadow_intent": correct}) == 0
    assert get("agent_router_shadow_dropped_total") == 0
    for reason in ("queue_full", "disk_full", "unwritable", "error"):
        assert get("agent_router_capture_dropped_total", {"reason": reason}) == 0


def test_buckets_cover_llm_calls_and_fast_classification(
    metrics: RouterMetrics, registry: CollectorRegistry
) -> None:
    latency = {
        float(s.labels["le"])
        for f in text_string_to_metric_families(generate_latest(registry).decode())
        if f.name == "agent_router_latency_seconds"
        for s in f.samples if "le" in s.labels
    }
    assert min(latency) == 0.05 and max(latency - {float("inf")}) == 120
    classify = {
        float(s.labels["le"])
        for f in text_string_to_metric_families(generate_latest(registry).decode())
        if f.name == "agent_router_classification_latency_seconds"
        for s in f.samples if "le" in s.labels
    }
    assert min(classify) == 1e-5


def test_events_move_the_right_series(metrics: RouterMetrics, registry: CollectorRegistry) -> None:
    get = registry.get_sample_value
    metrics.classified("code", "high", 2e-5)
    metrics.served("qwen-coder", "qwen-coder", "code", 0.3)
    metrics.served("qwen-coder", "llama", "code", 1.5)  # a fallback served it
    metrics.failed("deepseek-r1", "reasoning")
    metrics.error("qwen-coder", "http_5xx")
    metrics.health("llama", False)
    metrics.classifier_fallback("deadline")
    assert get("agent_router_classifier_fallbacks_total", {"reason": "deadline"}) == 1
    assert get("agent_router_classifier_fallbacks_total", {"reason": "queue_full"}) == 0
    assert get("agent_router_requests_total",
               {"model": "llama", "intent": "code", "status": "success"}) == 1
    assert get("agent_router_requests_total",
               {"model": "deepseek-r1", "intent": "reasoning", "status": "error"}) == 1
    assert get("agent_router_model_requests_total", {"model": "llama"}) == 1
    assert get("agent_router_fallback_requests_total",
               {"from_model": "qwen-coder", "to_model": "llama"}) == 1
    assert get("agent_router_fallback_rate", {"model": "qwen-coder"}) == 0.5
    assert get("agent_router_latency_seconds_count", {"model": "llama", "intent": "code"}) == 1
    assert get("agent_router_classification_latency_seconds_bucket", {"le": "2.5e-05"}) == 1
    assert get("agent_router_intent_classification_total",
               {"intent": "code", "confidence": "high"}) == 1
    assert get("agent_router_errors_total", {"model": "qwen-coder", "error_type": "http_5xx"}) == 1
    assert get("agent_router_model_health", {"model": "llama"}) == 0


def test_fallback_rate_decays_when_requests_leave_the_window(registry: CollectorRegistry) -> None:
    clock = FakeClock(1000.0)
    window = FallbackWindow(seconds=300, clock=clock)
    metrics = RouterMetrics(MODELS, INTENTS, registry=registry, fallback_window=window)
    metrics.served("qwen-coder", "llama", "code", 1.0)
    metrics.served("qwen-coder", "qwen-coder", "code", 1.0)
    metrics.served("qwen-coder", "qwen-coder", "code", 1.0)
    metrics.failed("qwen-coder", "code")
    rate = {"model": "qwen-coder"}
    assert registry.get_sample_value("agent_router_fallback_rate", rate) == 0.25
    clock.advance(299)
    metrics.refresh_fallback_rates()
    assert registry.get_sample_value("agent_router_fallback_rate", rate) == 0.25
    clock.advance(1)  # exactly 300 s later: out of the window
    metrics.refresh_fallback_rates()
    assert registry.get_sample_value("agent_router_fallback_rate", rate) == 0.0


def test_window_rejects_a_non_positive_length() -> None:
    with pytest.raises(ValueError, match="positive"):
        FallbackWindow(seconds=0)


class Timeout(Exception):  # named like litellm.Timeout: matched by class name
    pass


class Status(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(status_code)
        self.status_code = status_code


@pytest.mark.parametrize(("exc", "kind"), [
    (Timeout(), "timeout"),
    (Status(429), "rate_limit"),
    (Status(503), "http_5xx"),
    (Status(404), "http_4xx"),
    (ConnectionRefusedError(), "connection"),
    (ValueError(), "other"),
    (None, "other"),
])
def test_error_types_are_a_fixed_set(exc: BaseException | None, kind: str) -> None:
    assert error_type(exc) == kind
    assert kind in ERROR_TYPES


def _litellm(name: str) -> type[Exception]:
    return type(name, (Exception,), {"__module__": "litellm.exceptions"})


def _wrapped(cause: BaseException, name: str = "APIConnectionError") -> BaseException:
    """How LiteLLM raises its errors: while handling what the provider code or the SDK raised."""
    try:
        try:
            raise cause
        except BaseException as exc:
            raise _litellm(name)("OpenAIException - ...") from exc
    except BaseException as raised:
        return raised


def test_a_litellm_error_is_the_backends_only_when_the_wire_is_in_its_cause_chain() -> None:
    transport = type("ConnectError", (type("TransportError", (Exception,), {}),), {})
    status = type("InternalServerError", (type("APIStatusError", (Exception,), {}),), {})
    # A refused connection that LiteLLM's OpenAI client reports as a 500: the wire says connection.
    assert error_type(_wrapped(transport("refused"), "InternalServerError")) == "connection"
    assert error_type(_wrapped(status("500"), "InternalServerError")) == "http_5xx"
    assert error_type(_wrapped(ConnectionResetError())) == "connection"
    # LiteLLM's provider code failing on the request before sending it: not the backend's fault
    assert error_type(_wrapped(ValueError("Unsupported response_format type - []"))) == "other"
    assert error_type(_wrapped(TypeError("create() got an unexpected keyword argument 'tools'"),
                               "InternalServerError")) == "other"
    assert error_type(_wrapped(RecursionError(), "InternalServerError")) == "other"
    # a retry, raised while handling the first attempt's error: LiteLLM's own error is no evidence
    first = _wrapped(ValueError("Unsupported response_format type - []"))
    try:
        raise ValueError("Unsupported response_format type - []") from first
    except ValueError as again:
        assert error_type(_wrapped(again)) == "other"
