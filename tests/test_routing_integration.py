"""Intent routing through a real LiteLLM proxy to real MAX Serve (echo) backends."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from tests.support.cluster import Backend, Proxy

pytestmark = pytest.mark.integration

PROMPTS = {
    "qwen-coder": "Write a Python function that parses a CSV file and fix this bug: ```x = [1,2```",
    "deepseek-r1": "Solve step by step: how many ways can 3 people sit in 5 chairs? Prove it.",
    "llama": "Tell me a story about the history of Rome.",
}


def routing(resp: httpx.Response) -> dict[str, object]:
    return dict(json.loads(resp.headers["x-routing-metadata"]))


@pytest.mark.parametrize("group", list(PROMPTS))
def test_intent_reaches_its_backend(proxy: Proxy, healthy_backends: dict[str, Backend], group: str) -> None:
    before = healthy_backends[group].fault.count("/v1/chat/completions")
    resp = proxy.chat(PROMPTS[group])
    assert resp.status_code == 200, resp.text
    # The served deployment, as LiteLLM and the backend itself saw it, not only our header.
    assert resp.headers["x-litellm-model-api-base"] == healthy_backends[group].fault.api_base
    assert healthy_backends[group].fault.count("/v1/chat/completions") == before + 1
    meta = routing(resp)
    assert meta["model_id"] == group
    assert meta["model_name"] == healthy_backends[group].served_model
    assert meta["fallback_used"] is False
    assert isinstance(meta["total_time_seconds"], float)
    assert resp.json()["choices"][0]["message"]["content"]


def test_streaming_carries_header_and_reaches_the_right_backend(
    proxy: Proxy, healthy_backends: dict[str, Backend]
) -> None:
    body = {"model": "agent-router", "stream": True, "max_tokens": 8,
            "messages": [{"role": "user", "content": PROMPTS["qwen-coder"]}]}
    with proxy.client.stream("POST", "/v1/chat/completions", json=body) as resp:
        assert resp.status_code == 200
        meta = routing(resp)
        lines = [line for line in resp.iter_lines() if line.startswith("data: ")]
    assert meta["model_id"] == "qwen-coder" and meta["intent"] == "code"
    assert resp.headers["x-litellm-model-api-base"] == healthy_backends["qwen-coder"].fault.api_base
    assert lines[-1] == "data: [DONE]" and len(lines) >= 2


def test_explicit_model_bypasses_classification(proxy: Proxy, healthy_backends: dict[str, Backend]) -> None:
    resp = proxy.chat(PROMPTS["llama"], model="qwen-coder")
    assert resp.status_code == 200
    assert resp.headers["x-litellm-model-api-base"] == healthy_backends["qwen-coder"].fault.api_base
    assert "x-routing-metadata" not in resp.headers


def test_openai_sdk_client(proxy: Proxy, healthy_backends: dict[str, Backend]) -> None:
    client = openai.OpenAI(base_url=proxy.base_url + "/v1", api_key=proxy.master_key, max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="agent-router", max_tokens=8,
        messages=[{"role": "user", "content": PROMPTS["deepseek-r1"]}],
    )
    completion = raw.parse()
    assert completion.choices[0].message.content
    assert json.loads(raw.headers["x-routing-metadata"])["model_id"] == "deepseek-r1"
    stream = client.chat.completions.create(
        model="agent-router", max_tokens=8, stream=True,
        messages=[{"role": "user", "content": PROMPTS["llama"]}],
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text


def test_virtual_model_is_listed(proxy: Proxy) -> None:
    ids = {m["id"] for m in proxy.client.get("/v1/models").json()["data"]}
    assert {"agent-router", "llama", "qwen-coder", "deepseek-r1"} <= ids
