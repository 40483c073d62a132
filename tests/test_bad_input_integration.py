"""Bad input through the real proxy: a 4xx with an OpenAI-style JSON error, never a crash."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.cluster import Backend, Proxy

pytestmark = pytest.mark.integration


def assert_openai_error(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "type" in body["error"]
    return dict(body["error"])


def post(proxy: Proxy, **kwargs: Any) -> httpx.Response:
    return proxy.client.post("/v1/chat/completions", **kwargs)


def test_malformed_json(proxy: Proxy) -> None:
    resp = post(proxy, content=b'{"model": "agent-router", "messages": [', headers={"content-type": "application/json"})
    assert 400 <= resp.status_code < 500
    assert_openai_error(resp, resp.status_code)


@pytest.mark.parametrize(
    "body",
    [
        {"model": "agent-router"},
        {"model": "agent-router", "messages": []},
        {"model": "agent-router", "messages": "hello"},
        {"model": "agent-router", "messages": [{"role": "user", "content": 12345}]},
        {"model": "agent-router", "messages": [{"role": "user", "content": {"not": "a list"}}]},
    ],
    ids=["no-messages", "empty-messages", "messages-not-a-list", "numeric-content", "object-content"],
)
def test_invalid_messages_are_400(proxy: Proxy, body: dict[str, Any]) -> None:
    assert_openai_error(post(proxy, json=body), 400)


def test_unknown_model(proxy: Proxy) -> None:
    resp = proxy.chat("hello", model="no-such-model")
    error = assert_openai_error(resp, 400)
    assert "no-such-model" in error["message"]


def test_no_key_is_401(proxy: Proxy) -> None:
    resp = httpx.post(proxy.base_url + "/v1/chat/completions", timeout=30,
                      json={"model": "agent-router", "messages": [{"role": "user", "content": "hi"}]})
    assert_openai_error(resp, 401)


def test_wrong_key_is_401(proxy: Proxy) -> None:
    resp = httpx.post(proxy.base_url + "/v1/chat/completions", timeout=30,
                      headers={"Authorization": "Bearer sk-wrong-key-000000"},
                      json={"model": "agent-router", "messages": [{"role": "user", "content": "hi"}]})
    assert_openai_error(resp, 401)


def test_proxy_still_serves_after_bad_input(proxy: Proxy, healthy_backends: dict[str, Backend]) -> None:
    resp = proxy.chat("Tell me a story about the sea")
    assert resp.status_code == 200
    assert resp.json()["choices"][0]["message"]["content"]
