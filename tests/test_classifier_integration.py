"""The shipped (learned) classifier through a real LiteLLM proxy: header contents and multi-turn routing."""

from __future__ import annotations

import json

import pytest

from tests.support.cluster import Backend, Proxy

pytestmark = pytest.mark.integration


def test_header_carries_the_learned_decision(proxy: Proxy, healthy_backends: dict[str, Backend]) -> None:
    resp = proxy.chat("A bat and a ball cost $1.10 in total; the bat costs $1.00 more. What does the ball cost?")
    assert resp.status_code == 200, resp.text
    meta = json.loads(resp.headers["x-routing-metadata"])
    assert meta["classifier"] == "learned"
    assert meta["intent"] == "reasoning" and meta["model_id"] == "deepseek-r1"
    top = meta["top_intents"]
    assert top[0]["intent"] == "reasoning" and len(top) == 3
    assert meta["margin"] == pytest.approx(top[0]["score"] - top[1]["score"], abs=1e-3)
    assert meta["confidence_level"] == "high"


def test_follow_up_in_a_code_conversation_goes_to_the_code_model(
    proxy: Proxy, healthy_backends: dict[str, Backend]
) -> None:
    messages = [
        {"role": "user", "content": "My Flask app crashes with KeyError: 'user_id' when I submit the form:\n"
                                    "def submit():\n    uid = session['user_id']"},
        {"role": "assistant", "content": "The session key is missing: set session['user_id'] at login."},
        {"role": "user", "content": "why does it still fail?"},
    ]
    body = {"model": "agent-router", "messages": messages, "max_tokens": 8}
    resp = proxy.client.post("/v1/chat/completions", json=body)
    assert resp.status_code == 200, resp.text
    assert json.loads(resp.headers["x-routing-metadata"])["model_id"] == "qwen-coder"

