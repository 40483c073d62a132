"""The pre-call hook and header hook, called directly with injected seams (no proxy, no network)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fastapi import HTTPException
from litellm.proxy._types import ProxyException
from prometheus_client import CollectorRegistry

from plugins.classify.decision import Decision
from plugins.config import load_config
from plugins.prompt import Prompt
from plugins.record import RoutingRecord
from router_hooks.hook import HEADER, AgentRouterHook
from scripts.stack import ROOT
from tests.support.clock import FakeClock
from tests.support.hooks import build_hook

CONFIG = load_config(ROOT / "litellm_config.yaml")
DEPLOYMENTS = {
    "id-qwen": ("qwen-coder", "Qwen/Qwen2.5-Coder-7B-Instruct"),
    "id-llama": ("llama", "meta-llama/Llama-3.1-8B-Instruct"),
}


class BrokenClassifier:
    kind = "broken"

    def classify(self, prompt: Prompt) -> Decision:
        raise RuntimeError("model file vanished")


def make_hook(classifier: Any = None) -> tuple[AgentRouterHook, CollectorRegistry, FakeClock]:
    made = build_hook(
        classifier,
        deployments=lambda model_id: DEPLOYMENTS.get(model_id or ""),
        aliases={"gpt-4o": "agent-router", "legacy": {"model": "agent-router", "hidden": True}},
    )
    return made.hook, made.registry, made.clock


def call(hook: AgentRouterHook, data: dict[str, Any], call_type: str = "acompletion") -> dict[str, Any]:
    return asyncio.run(hook.async_pre_call_hook(None, None, data, call_type))


def chat(content: Any, model: str = "agent-router") -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}]}


@pytest.mark.parametrize("model", ["agent-router", "gpt-4o", "legacy"])
def test_rewrites_virtual_model_and_aliases(model: str) -> None:
    hook, registry, _ = make_hook()
    data = call(hook, chat("write a python function", model))
    assert data["model"] == "qwen-coder"
    record = data["metadata"]["agent_router"]
    assert isinstance(record, RoutingRecord) and record.intent == "code"
    assert record.chosen_model == record.routed_model == "qwen-coder" and record.route_reason is None
    assert registry.get_sample_value(
        "agent_router_intent_classification_total", {"intent": "code", "confidence": "high"}) == 1.0


def test_explicit_model_is_left_alone() -> None:
    hook, registry, _ = make_hook()
    data = call(hook, chat("write a python function", "deepseek-r1"))
    assert data == chat("write a python function", "deepseek-r1")
    assert registry.get_sample_value("agent_router_classification_latency_seconds_count") == 0.0


def test_non_chat_call_types_are_left_alone() -> None:
    hook, _, _ = make_hook()
    data = {"model": "agent-router", "input": "embed me"}
    assert call(hook, dict(data), "aembedding") == data


def test_classifier_failure_fails_open_to_default_and_is_counted() -> None:
    hook, registry, _ = make_hook(BrokenClassifier())
    data = call(hook, chat("write a python function"))
    assert data["model"] == CONFIG.default_model
    assert data["metadata"]["agent_router"].defaulted is True
    assert registry.get_sample_value(
        "agent_router_errors_total", {"model": "llama", "error_type": "classifier"}) == 1.0


@pytest.mark.parametrize("messages", [None, [], "text", [{"role": "user", "content": 7}]])
def test_bad_messages_are_a_400_not_a_misroute(messages: Any) -> None:
    hook, _, _ = make_hook()
    with pytest.raises(ProxyException) as info:
        call(hook, {"model": "agent-router", "messages": messages})
    assert info.value.code == "400" and info.value.type == "invalid_request_error"
    assert info.value.param is not None and info.value.param.startswith("messages")


def test_existing_metadata_is_kept() -> None:
    hook, _, _ = make_hook()
    data = chat("tell me a joke")
    data["metadata"] = {"tags": ["team-a"]}
    out = call(hook, data)
    assert out["metadata"]["tags"] == ["team-a"] and "agent_router" in out["metadata"]


def header(hook: AgentRouterHook, data: dict[str, Any], model_id: str | None) -> dict[str, Any]:
    headers = asyncio.run(hook.async_post_call_response_headers_hook(
        data, None, object(), {}, {"model_id": model_id}))
    assert headers is not None
    return dict(json.loads(headers[HEADER]))


def test_header_reports_served_model_and_fallback() -> None:
    hook, _, clock = make_hook()
    data = call(hook, chat("write a python function"))
    clock.now += 0.25
    served = header(hook, data, "id-qwen")
    assert served["model_id"] == "qwen-coder"
    assert served["model_name"] == "Qwen/Qwen2.5-Coder-7B-Instruct"
    assert served["fallback_used"] is False
    assert served["intent"] == "code" and served["confidence_level"] == "high"
    assert served["total_time_seconds"] == 0.25
    assert served["top_intents"][0] == {"intent": "code", "score": served["confidence"]}
    assert served["routed_model"] == "qwen-coder" and served["reason"] is None
    fallback = header(hook, data, "id-llama")
    assert fallback["model_id"] == "llama" and fallback["fallback_used"] is True
    assert fallback["reason"] == "fallback" and fallback["primary_model"] == "qwen-coder"


def test_no_header_for_unrouted_requests() -> None:
    hook, _, _ = make_hook()
    assert asyncio.run(hook.async_post_call_response_headers_hook(chat("x", "llama"), None, None)) is None


def success_kwargs(data: dict[str, Any], group: str) -> dict[str, Any]:
    return {"standard_logging_object": {"model_group": group},
            "litellm_params": {"metadata": data.get("metadata", {})}}


def test_success_and_fallback_metrics() -> None:
    hook, registry, clock = make_hook()
    data = call(hook, chat("write a python function"))
    clock.now += 1.5
    asyncio.run(hook.async_log_success_event(success_kwargs(data, "llama"), None, None, None))
    value = registry.get_sample_value
    assert value("agent_router_requests_total", {"model": "llama", "intent": "code", "status": "success"}) == 1
    assert value("agent_router_fallback_requests_total", {"from_model": "qwen-coder", "to_model": "llama"}) == 1
    assert value("agent_router_fallback_rate", {"model": "qwen-coder"}) == 1.0
    assert value("agent_router_latency_seconds_sum", {"model": "llama", "intent": "code"}) == 1.5


def test_health_check_calls_are_not_traffic() -> None:
    hook, registry, _ = make_hook()
    asyncio.run(hook.async_log_success_event(
        {"standard_logging_object": {"model_group": ""}, "litellm_params": {}}, None, None, None))
    assert registry.get_sample_value("agent_router_model_requests_total", {"model": "llama"}) == 0


class NoDatabase(Exception):
    type = "no_db_connection"


def test_unknown_key_without_database_becomes_401() -> None:
    hook, _, _ = make_hook()
    out = asyncio.run(hook.async_post_call_failure_hook({}, NoDatabase("No connected db."), None))
    assert isinstance(out, HTTPException) and out.status_code == 401
    assert asyncio.run(hook.async_post_call_failure_hook({}, ValueError("other"), None)) is None


def test_a_request_naming_a_routed_model_itself_still_gets_its_bad_input_answered_400() -> None:
    hook, registry, _ = make_hook()
    with pytest.raises(ProxyException) as info:
        call(hook, {"model": "llama", "input": False, "max_output_tokens": 4}, "aresponses")
    assert info.value.code == "400" and info.value.param == "input"
    assert registry.get_sample_value("agent_router_classification_latency_seconds_count") == 0.0
    # A model the bundle does not route is LiteLLM's to judge.
    assert call(hook, {"model": "other", "input": False}, "aresponses") == {"model": "other", "input": False}
