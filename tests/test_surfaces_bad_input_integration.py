"""Bad input on every surface through the real proxy: a 400 in that surface's error format, naming
the field, and no backend called; and `/router/classify`, which explains without calling a model."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.agent_loops import loop_body
from tests.support.cluster import Backend, Proxy
from tests.support.served import generations

pytestmark = pytest.mark.integration

CHAT, RESPONSES, MESSAGES, COMPLETIONS = ("/v1/chat/completions", "/v1/responses", "/v1/messages",
                                          "/v1/completions")
USER = [{"role": "user", "content": "Write a Python function"}]
BAD: list[tuple[str, dict[str, Any], str]] = [
    (CHAT, {"messages": USER, "max_tokens": -5}, "max_tokens"),
    (CHAT, {"messages": USER, "temperature": "hot"}, "temperature"),
    (CHAT, {"messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
    (CHAT, {"messages": USER, "stream": True, "top_p": 3}, "top_p"),
    (CHAT, {"messages": USER, "n": 0}, "n"),
    (CHAT, {"messages": USER, "stop": [1, 2]}, "stop"),
    (CHAT, {"messages": USER, "tools": [{"type": "function", "function": {"name": "bad name!"}}]},
     "tools[0].function.name"),
    (RESPONSES, {}, "input"),
    (RESPONSES, {"input": [{"role": "user", "content": [{"text": "no type"}]}]}, "input[0].content[0]"),
    (RESPONSES, {"input": "hi", "max_output_tokens": "many"}, "max_output_tokens"),
    (RESPONSES, {"input": "hi", "stream": True, "temperature": 9}, "temperature"),
    (RESPONSES, {"input": [{"type": "function_call_output", "output": "x"}]}, "input[0].call_id"),
    (MESSAGES, {"max_tokens": 16}, "messages"),
    (MESSAGES, {"max_tokens": 16, "messages": [{"role": "user", "content": [{"type": "text"}]}]},
     "messages[0].content[0].text"),
    (MESSAGES, {"messages": USER}, "max_tokens"),
    (MESSAGES, {"max_tokens": 16, "messages": USER, "temperature": 1.5}, "temperature"),
    (MESSAGES, {"max_tokens": 16, "stream": True, "messages": USER, "tools": [{"name": "f"}]},
     "tools[0].input_schema"),
    (COMPLETIONS, {}, "prompt"),
    (COMPLETIONS, {"prompt": "def f(", "max_tokens": -1}, "max_tokens"),
    (COMPLETIONS, {"prompt": {"text": "x"}}, "prompt"),
]


@pytest.mark.parametrize(("path", "body", "param"), BAD, ids=[f"{p}-{n}" for p, _, n in BAD])
def test_bad_input_is_a_400_in_the_surface_format(proxy: Proxy, healthy_backends: dict[str, Backend],
                                                  path: str, body: dict[str, Any], param: str) -> None:
    before = generations(healthy_backends)
    resp = proxy.client.post(path, json={"model": "agent-router", **body})
    assert resp.status_code == 400, resp.text
    error = resp.json()
    if path == MESSAGES:  # Anthropic's error shape
        assert error["type"] == "error" and error["error"]["type"] == "invalid_request_error"
        assert f"`{param}" in error["error"]["message"]
    else:
        assert error["error"]["type"] == "invalid_request_error" and error["error"]["param"] == param
        assert f"`{param}" in error["error"]["message"]
    assert generations(healthy_backends) == before  # never reached a backend
    assert "x-routing-metadata" not in resp.headers


CLASSIFY = "/router/classify"


@pytest.mark.parametrize(("surface", "body", "model"), [
    ("chat", {"model": "agent-router", "messages": USER}, "qwen-coder"),
    ("responses", {"model": "agent-router", **loop_body("responses", 6)}, "qwen-coder"),
    ("messages", {"model": "agent-router", "max_tokens": 8, **loop_body("messages", 3, new_task=True)},
     "llama"),
    ("completions", {"model": "agent-router", "prompt": "Prove that the square root of 2 is irrational."},
     "deepseek-r1"),
])
def test_classify_explains_without_calling_a_model(proxy: Proxy, healthy_backends: dict[str, Backend],
                                                   surface: str, body: dict[str, Any], model: str) -> None:
    before = generations(healthy_backends)
    resp = proxy.client.post(CLASSIFY, json={"surface": surface, "body": body})
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["surface"] == surface and out["routed"] is True
    assert out["model"] == out["primary_model"] == model and out["reason"] is None
    assert out["top_intents"][0]["intent"] == out["intent"] and 0 < out["confidence"] <= 1
    assert out["intent"] in out["why"] and model in out["why"]
    assert generations(healthy_backends) == before


def test_classify_bad_input_and_auth(proxy: Proxy) -> None:
    resp = proxy.client.post(CLASSIFY, json={"surface": "messages", "body": {"max_tokens": 8}})
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "messages"
    resp = proxy.client.post(CLASSIFY, json={"surface": "grpc", "body": {}})
    assert resp.status_code == 400 and resp.json()["error"]["param"] == "surface"
    resp = httpx.post(proxy.base_url + CLASSIFY, timeout=30, json={"body": {"messages": USER}})
    assert resp.status_code == 401
