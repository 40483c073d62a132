"""A backend's 4xx caused by the request itself: one backend call, the backend's error, models untouched.

The primary's fault proxy answers the status with an OpenAI-style body; its counters say how many
calls reached each backend. Pinned LiteLLM 1.108.7 behaviour (litellm_config.yaml router_settings
and model_info): a 400 (`fallback_on_unsupported_params: false`) is raised at once, never retried
or walked down the chain; a 404 is a NotFoundError, which LiteLLM still walks down the chain, but
with the per-deployment policy it no longer cools the deployment down.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.support.cluster import Backend, Proxy
from tests.test_metrics_integration import parse, total

pytestmark = pytest.mark.integration

CODE = "Write a Python function that reverses a linked list"  # routed to qwen-coder


@pytest.fixture()
def qwen_answers(healthy_backends: dict[str, Backend]) -> Iterator[Backend]:
    try:
        yield healthy_backends["qwen-coder"]
    finally:
        healthy_backends["qwen-coder"].fault.mode = "pass"


def calls(backends: dict[str, Backend]) -> dict[str, int]:
    return {g: b.fault.count("/v1/chat/completions") for g, b in backends.items()}


def errors(proxy: Proxy, model: str, kind: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{proxy.metrics_port}/metrics", timeout=10).text
    return total(parse(text), "agent_router_errors_total", model=model, error_type=kind)


def qwen_state(proxy: Proxy) -> dict[str, object]:
    return dict(proxy.client.get("/router/health").json()["models"]["qwen-coder"])


def test_a_backend_400_is_one_call_the_backends_error_and_no_health_change(
    proxy: Proxy, healthy_backends: dict[str, Backend], qwen_answers: Backend
) -> None:
    before, http_4xx = calls(healthy_backends), errors(proxy, "qwen-coder", "http_4xx")
    qwen_answers.fault.mode = "error400"
    for _ in range(3):  # more than allowed_fails: a cooldown would show
        resp = proxy.chat(CODE)
        assert resp.status_code == 400, resp.text
        error = resp.json()["error"]
        assert "injected 400" in error["message"] and error["type"] == "invalid_request_error"
        meta = json.loads(resp.headers["x-routing-metadata"])
        assert meta["primary_model"] == "qwen-coder" and meta["fallback_used"] is False
    after = calls(healthy_backends)
    assert {g: after[g] - before[g] for g in after} == {"llama": 0, "qwen-coder": 3, "deepseek-r1": 0}
    assert errors(proxy, "qwen-coder", "http_4xx") == http_4xx + 3  # one per request
    state = qwen_state(proxy)
    assert state["status"] == "healthy" and state["cooldown"] == {"active": False, "remaining_seconds": 0.0}
    qwen_answers.fault.mode = "pass"
    assert json.loads(proxy.chat(CODE).headers["x-routing-metadata"])["model_id"] == "qwen-coder"


def test_a_backend_404_is_not_held_against_the_model(
    proxy: Proxy, healthy_backends: dict[str, Backend], qwen_answers: Backend
) -> None:
    qwen_answers.fault.mode = "error404"
    for _ in range(4):  # past allowed_fails (2)
        resp = proxy.chat(CODE)
        assert resp.status_code == 200, resp.text  # LiteLLM walks a NotFoundError down the chain
        assert json.loads(resp.headers["x-routing-metadata"])["model_id"] == "llama"
    state = qwen_state(proxy)
    assert state["status"] == "healthy" and state["cooldown"] == {"active": False, "remaining_seconds": 0.0}
    qwen_answers.fault.mode = "pass"
    assert json.loads(proxy.chat(CODE).headers["x-routing-metadata"])["model_id"] == "qwen-coder"


@pytest.mark.xfail(strict=True, reason="LiteLLM 1.108.7 with drop_params: a backend 422 is retried once "
                   "(llms/openai/openai.py acompletion, `for _ in range(2)`) and then answered 200 `null`")
def test_a_backend_422_is_a_client_error(
    proxy: Proxy, healthy_backends: dict[str, Backend], qwen_answers: Backend
) -> None:
    qwen_answers.fault.mode = "error422"
    resp = proxy.chat(CODE)
    assert 400 <= resp.status_code < 500, resp.text
