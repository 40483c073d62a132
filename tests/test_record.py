"""The routing record on its own: how a decision, a health reroute and a LiteLLM fallback render."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError
from typing import Any

import pytest

from plugins.classify.decision import Decision
from plugins.record import RoutingRecord
from plugins.routing import Route

CODE = Route("qwen-coder", "code", 0.9, "high", False)
DECISION = Decision("code", 0.9, {"code": 0.9, "general": 0.06, "reasoning": 0.04})
SERVED = {"qwen-coder": ("qwen-coder", "Qwen/Qwen2.5-Coder-7B-Instruct"),
          "llama": ("llama", "meta-llama/Llama-3.1-8B-Instruct"),
          "deepseek-r1": ("deepseek-r1", "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B")}


def render(record: RoutingRecord, served: str | None, now: float = 10.5) -> dict[str, Any]:
    return dict(json.loads(record.header(SERVED.get(served or ""), now)))


def test_the_chosen_model_serving_is_no_fallback() -> None:
    record = RoutingRecord.of(CODE, DECISION, "learned", started=10.0)
    body = render(record, "qwen-coder")
    assert body["model_id"] == body["primary_model"] == body["routed_model"] == "qwen-coder"
    assert body["fallback_used"] is False and body["reason"] is None
    assert body["top_intents"][0] == {"intent": "code", "score": 0.9}
    assert body["margin"] == 0.84 and body["total_time_seconds"] == 0.5


def test_a_health_reroute_says_health_and_keeps_the_classifiers_choice() -> None:
    record = RoutingRecord.of(CODE, DECISION, "learned", 0.0).rerouted("llama", "health")
    body = render(record, "llama")
    assert (body["primary_model"], body["routed_model"]) == ("qwen-coder", "llama")
    assert body["fallback_used"] is True and body["reason"] == "health"


def test_litellm_falling_back_from_the_routed_model_says_fallback() -> None:
    record = RoutingRecord.of(CODE, DECISION, "learned", 0.0).rerouted("llama", "health")
    assert render(record, "deepseek-r1")["reason"] == "fallback"
    # Back on the chosen model after LiteLLM's chain: the classifier's choice served.
    assert render(record, "qwen-coder")["fallback_used"] is False


def test_rerouting_to_the_chosen_model_is_no_reroute() -> None:
    record = RoutingRecord.of(CODE, DECISION, "learned", 0.0)
    assert record.rerouted("qwen-coder", "health") is record
    assert record.rerouted("llama", "health").rerouted("qwen-coder", "health").route_reason is None


def test_an_unknown_served_deployment_claims_nothing() -> None:
    body = render(RoutingRecord.of(CODE, DECISION, "learned", 0.0).rerouted("llama", "health"), None)
    assert body["model_id"] is None and body["fallback_used"] is False and body["reason"] is None


def test_a_failed_classification_records_no_scores() -> None:
    record = RoutingRecord.of(Route("llama", "general", 0.0, "low", True), None, "learned", 0.0)
    assert record.top == () and record.margin == 0.0 and record.defaulted


def test_the_record_is_frozen() -> None:
    record = RoutingRecord.of(CODE, DECISION, "learned", 0.0)
    with pytest.raises(FrozenInstanceError):
        record.routed_model = "llama"  # type: ignore[misc]  # the point of the test
