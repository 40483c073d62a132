"""Fallbacks through the real proxy when backends fail: LiteLLM's chains take over after a rewrite.

Each test gets its own proxy: a failure cools the deployment down (router_settings.cooldown_time),
and that state must not leak into the next test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.cluster import Backend, Proxy, launch_proxy

pytestmark = pytest.mark.integration

CODE = "Write a Python function that reverses a linked list, and fix this bug: ```def f(x): return x[::-1```"
REASONING = "Solve step by step: how many ways can 4 people sit in 6 chairs? Prove your answer."


@pytest.fixture()
def fresh_proxy(healthy_backends: dict[str, Backend], log_dir: Path) -> Iterator[Proxy]:
    try:
        with launch_proxy(healthy_backends, log_dir, name="litellm-faults") as running:
            yield running
    finally:
        for backend in healthy_backends.values():
            backend.fault.mode = "pass"


def served(resp: httpx.Response) -> dict[str, object]:
    assert resp.status_code == 200, resp.text
    return dict(json.loads(resp.headers["x-routing-metadata"]))


def test_primary_answering_500_falls_back_to_next_in_chain(
    fresh_proxy: Proxy, healthy_backends: dict[str, Backend]
) -> None:
    qwen = healthy_backends["qwen-coder"].fault
    before = qwen.count("/v1/chat/completions")
    qwen.mode = "error500"
    resp = fresh_proxy.chat(CODE)
    meta = served(resp)
    # qwen-coder -> llama -> deepseek-r1
    assert meta["intent"] == "code" and meta["primary_model"] == "qwen-coder"
    assert meta["model_id"] == "llama" and meta["fallback_used"] is True
    assert resp.headers["x-litellm-model-api-base"] == healthy_backends["llama"].fault.api_base
    assert qwen.count("/v1/chat/completions") > before


def test_primary_process_killed_falls_back(fresh_proxy: Proxy, healthy_backends: dict[str, Backend]) -> None:
    healthy_backends["deepseek-r1"].kill()
    for streaming in (False, True):
        body = {"model": "agent-router", "max_tokens": 8, "stream": streaming,
                "messages": [{"role": "user", "content": REASONING}]}
        with fresh_proxy.client.stream("POST", "/v1/chat/completions", json=body) as resp:
            resp.read()
            meta = served(resp)
        # deepseek-r1 -> llama -> qwen-coder
        assert meta["primary_model"] == "deepseek-r1"
        assert meta["model_id"] == "llama" and meta["fallback_used"] is True
        assert resp.headers["x-litellm-model-api-base"] == healthy_backends["llama"].fault.api_base


def test_two_of_three_down_the_third_serves(fresh_proxy: Proxy, healthy_backends: dict[str, Backend]) -> None:
    healthy_backends["qwen-coder"].fault.mode = "error500"
    healthy_backends["llama"].fault.mode = "close"
    meta = served(fresh_proxy.chat(CODE))
    assert meta["model_id"] == "deepseek-r1" and meta["fallback_used"] is True


def test_all_down_is_a_clear_error_not_a_hang(fresh_proxy: Proxy, healthy_backends: dict[str, Backend]) -> None:
    for backend in healthy_backends.values():
        backend.fault.mode = "error500"
    # The client's own timeout bounds the wait: a hang fails this test with ReadTimeout.
    resp = fresh_proxy.client.post("/v1/chat/completions", timeout=90, json={
        "model": "agent-router", "max_tokens": 8, "messages": [{"role": "user", "content": CODE}]})
    assert resp.status_code >= 500
    error = resp.json()["error"]
    assert error["message"] and "type" in error
