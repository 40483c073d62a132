"""A backend's 4xx caused by the request itself: one backend call, the backend's error, models untouched.

The primary's fault proxy answers the status with an OpenAI-style body; its counters say how many
calls reached each backend. Mechanisms: a 400 is LiteLLM's own (`router_settings.
fallback_on_unsupported_params: false`: raised at once, never retried); a 404 LiteLLM would walk down
the chain, so the bundle's latch (router_hooks/request_errors.py) fails the later hops before their
call, and the per-deployment `allowed_fails_policy` keeps LiteLLM from cooling the model down.
A 422 LiteLLM itself retries once (drop_params) and then returns nothing: the hook answers 400.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.cluster import Backend, Proxy, launch_proxy
from tests.support.scrape import parse, total

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


@pytest.mark.parametrize("status", [400, 404])
def test_a_backend_4xx_is_one_call_the_backends_error_and_no_health_change(
    proxy: Proxy, healthy_backends: dict[str, Backend], qwen_answers: Backend, status: int
) -> None:
    before, http_4xx = calls(healthy_backends), errors(proxy, "qwen-coder", "http_4xx")
    qwen_answers.fault.mode = "error400" if status == 400 else "error404"
    for _ in range(3):  # more than allowed_fails: a cooldown would show
        resp = proxy.chat(CODE)
        assert resp.status_code == status, resp.text
        error = resp.json()["error"]
        assert f"injected {status}" in error["message"] and error["type"] == "invalid_request_error"
        meta = json.loads(resp.headers["x-routing-metadata"])
        assert meta["primary_model"] == "qwen-coder" and meta["fallback_used"] is False
    after = calls(healthy_backends)
    assert {g: after[g] - before[g] for g in after} == {"llama": 0, "qwen-coder": 3, "deepseek-r1": 0}
    assert errors(proxy, "qwen-coder", "http_4xx") == http_4xx + 3  # one per request
    state = qwen_state(proxy)
    assert state["status"] == "healthy" and state["cooldown"] == {"active": False, "remaining_seconds": 0.0}
    qwen_answers.fault.mode = "pass"
    assert json.loads(proxy.chat(CODE).headers["x-routing-metadata"])["model_id"] == "qwen-coder"


def test_a_backend_422_is_a_400_not_litellms_200_null(
    proxy: Proxy, healthy_backends: dict[str, Backend], qwen_answers: Backend
) -> None:
    before = calls(healthy_backends)
    qwen_answers.fault.mode = "error422"
    resp = proxy.chat(CODE)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["message"].startswith("agent-router: the model backend rejected")
    after = calls(healthy_backends)
    # LiteLLM's drop_params retry (llms/openai/openai.py) sends it twice to the primary, no further
    assert {g: after[g] - before[g] for g in after} == {"llama": 0, "qwen-coder": 2, "deepseek-r1": 0}
    assert qwen_state(proxy)["status"] == "healthy"


def test_a_dropped_connection_is_still_held_against_the_model(
    healthy_backends: dict[str, Backend], qwen_answers: Backend, log_dir: Path
) -> None:
    """The other side of plugins/errors.py's cause-chain rule, through real LiteLLM: a transport
    failure (LiteLLM reports it as an InternalServerError) still counts against the model, never as
    `other` (own proxy: it does mark qwen-coder down)."""
    with launch_proxy(healthy_backends, log_dir, name="litellm-client-errors") as fresh:
        qwen_answers.fault.mode = "close"
        resp = fresh.chat(CODE)
        assert resp.status_code == 200, resp.text  # served by the fallback
        assert errors(fresh, "qwen-coder", "http_5xx") + errors(fresh, "qwen-coder", "connection") >= 1
        assert errors(fresh, "qwen-coder", "other") == 0
