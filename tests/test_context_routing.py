"""Context-window routing in the hook, bound to a real LiteLLM Router built from the shipped config
(its model list declares qwen-coder and deepseek-r1 32,768 input tokens, llama 131,072)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fastapi import HTTPException

from plugins.record import RoutingRecord
from router_hooks.call_data import record_in
from router_hooks.hook import AgentRouterHook
from router_hooks.router_view import DeploymentIndex
from scripts.bench.bodies import chat_loop, one_megabyte
from scripts.bench.hook import build_hook
from scripts.stack import ROOT
from tests.support.fake_router import FakeRouter, deployment

SHIPPED = ROOT / "litellm_config.yaml"
SOURCE = (ROOT / "router_hooks" / "hook.py").read_text(encoding="utf-8")


def cl100k(text: str) -> int:
    from litellm.litellm_core_utils.default_encoding import encoding

    return len(encoding.encode(text, disallowed_special=()))


def code_prompt(tokens: int) -> str:
    """A debugging request with Python source pasted in, about `tokens` cl100k tokens long."""
    per_copy = cl100k(SOURCE)
    return ("Fix the bug in this Python module; the unit tests fail with a KeyError:\n```python\n"
            + SOURCE * max(1, round(tokens / per_copy)) + "```")


@pytest.fixture(scope="module")
def bundle_hook() -> tuple[AgentRouterHook, dict[str, str]]:
    hook, served = build_hook(SHIPPED)
    assert isinstance(hook, AgentRouterHook)
    return hook, served


def route(hook: AgentRouterHook, content: str) -> tuple[str, RoutingRecord]:
    data: dict[str, Any] = {"model": "agent-router", "messages": [{"role": "user", "content": content}]}
    data = asyncio.run(hook.async_pre_call_hook(None, None, data, "acompletion"))
    record = record_in(data)
    assert record is not None
    return str(data["model"]), record


def test_the_router_declares_the_windows_of_the_shipped_model_list(
    bundle_hook: tuple[AgentRouterHook, dict[str, str]],
) -> None:
    hook, _ = bundle_hook
    assert hook.context is not None
    assert hook.context.index.windows() == {"llama": 131_072, "qwen-coder": 32_768, "deepseek-r1": 32_768}


def test_a_60000_token_code_prompt_goes_to_llama_instead_of_failing_on_qwen_coder(
    bundle_hook: tuple[AgentRouterHook, dict[str, str]],
) -> None:
    hook, served = bundle_hook
    content = code_prompt(60_000)
    assert 55_000 < cl100k(content) < 65_000
    model, record = route(hook, content)
    assert (record.intent, record.chosen_model) == ("code", "qwen-coder")  # what main sent it to
    assert model == record.routed_model == "llama"
    header = json.loads(record.header(("llama", "meta-llama/Llama-3.1-8B-Instruct"), record.started))
    assert header["reason"] == "context_window" and header["primary_model"] == "qwen-coder"
    assert header["fallback_used"] is True and header["model_id"] == "llama"
    assert "llama" in served


def test_a_code_prompt_that_fits_stays_on_qwen_coder(bundle_hook: tuple[AgentRouterHook, dict[str, str]]) -> None:
    hook, _ = bundle_hook
    model, record = route(hook, code_prompt(8_000))
    assert model == "qwen-coder" and record.route_reason is None


def test_a_200_message_tool_loop_is_measured_whole(bundle_hook: tuple[AgentRouterHook, dict[str, str]]) -> None:
    hook, _ = bundle_hook
    body = chat_loop()
    data = asyncio.run(hook.async_pre_call_hook(None, None, {**body, "metadata": {}}, "acompletion"))
    assert data["model"] == "qwen-coder"  # ~15k tokens: fits
    long_outputs = chat_loop(lambda step: SOURCE[:2000])  # ~100 outputs of 2,000 characters
    data = asyncio.run(hook.async_pre_call_hook(None, None, {**long_outputs, "metadata": {}}, "acompletion"))
    record = record_in(data)
    assert record is not None and (record.chosen_model, data["model"]) == ("qwen-coder", "llama")


def test_a_prompt_no_model_fits_is_refused_with_context_length_exceeded(
    bundle_hook: tuple[AgentRouterHook, dict[str, str]],
) -> None:
    hook, _ = bundle_hook
    secret = "SECRET-TOKEN-abc123"
    body = chat_loop(lambda step: secret + one_megabyte(), steps=1)
    with pytest.raises(HTTPException) as caught:
        asyncio.run(hook.async_pre_call_hook(None, None, {**body, "metadata": {}}, "acompletion"))
    assert caught.value.status_code == 400
    detail: Any = caught.value.detail
    error = detail["error"]
    assert (error["type"], error["code"], error["param"]) == (
        "invalid_request_error", "context_length_exceeded", "messages")
    assert "131,072" in error["message"] and "32,768" in error["message"]
    assert secret not in error["message"]


def test_a_health_reroute_never_sends_a_long_prompt_to_a_model_it_does_not_fit(
    bundle_hook: tuple[AgentRouterHook, dict[str, str]],
) -> None:
    hook, _ = bundle_hook
    assert hook.health is not None
    state = hook.health.state
    try:
        for _ in range(hook.config.health.unhealthy_after):
            state.record_failure("llama", "connection", source="request")
        model, record = route(hook, code_prompt(60_000))
        # llama's own chain (qwen-coder, deepseek-r1) cannot take 60k tokens: llama is attempted.
        assert model == "llama" and record.route_reason == "context_window"
        model, record = route(hook, "Write a Python function that reverses a list")
        assert model == "qwen-coder"
    finally:
        for _ in range(hook.config.health.healthy_after):
            state.record_success("llama", source="request")


def entry(group: str, model_id: str, window: Any) -> dict[str, Any]:
    item = deployment(group, "http://h/v1", model_id)
    item["model_info"]["max_input_tokens"] = window
    return item


def test_a_group_s_window_is_its_smallest_deployment_s_and_follows_model_list_changes() -> None:
    router = FakeRouter([entry("llama", "a", 8000), entry("llama", "b", 4000), entry("qwen", "c", None),
                         entry("odd", "d", True), entry("neg", "e", -1)])
    index = DeploymentIndex(lambda: router)
    assert index.windows() == {"llama": 4000}
    router.model_list[1] = entry("llama", "b", 16000)  # replaced in place
    assert index.windows() == {"llama": 8000}


def test_the_megabyte_of_tool_output_is_one_with_non_ascii_characters() -> None:
    # What the bench and the refusal test send: the sampled (non-ASCII) measuring path.
    text = one_megabyte()
    assert len(text) == 1_000_000 and not text.isascii()
