"""The body guard: which bodies reach LiteLLM, the 400 per surface, and installing on a running app."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from plugins.request_body import body_problem, header_problem, surface_of
from router_hooks.body_guard import BodyGuard, install


@pytest.mark.parametrize(("path", "surface"), [
    ("/v1/chat/completions", "chat"), ("/chat/completions", "chat"),
    ("/openai/deployments/agent-router/chat/completions", "chat"), ("/engines/x/chat/completions", "chat"),
    ("/v1/responses", "responses"), ("/responses/", "responses"), ("/v1/messages", "messages"),
    ("/v1/completions", "completions"),
    ("/v1/messages/count_tokens", None), ("/v1/responses/resp_1", None), ("/anthropic/v1/messages", None),
    ("/v1/embeddings", None), ("/router/health", None),
])
def test_surface_of_knows_litellms_routes_of_the_four_surfaces(path: str, surface: str | None) -> None:
    assert surface_of(path) == surface


@pytest.mark.parametrize("body", [b"[]", b"3", b'"x"', b"null", b"true", b"{", b'{"a": NaN}', b'{"a": Infinity}',
                                  b'{"a": "\xff"}', b"[" * 1025 + b"]" * 1025, b'{"a": 1} trailing'])
def test_bodies_litellm_cannot_take_are_named(body: bytes) -> None:
    assert body_problem(body)


@pytest.mark.parametrize("body", [b'{"metadata": []}', b'{"metadata": "x"}', b'{"litellm_metadata": 3}'])
def test_metadata_must_be_an_object(body: bytes) -> None:
    assert body_problem(body) == f"{next(iter(json.loads(body)))} must be an object"


@pytest.mark.parametrize("body", [b"", b"  \n", b"{}", b'{"metadata": null}', b'{"metadata": {"a": "b"}}',
                                  b'{"model": "m", "messages": []}', b'{"a": [[[1]]]}'])
def test_objects_and_empty_bodies_pass(body: bytes) -> None:
    assert body_problem(body) is None


@pytest.mark.parametrize("prompt", [{}, [], [{}], [1, "a"], [[]], [True], None, 3])
def test_a_completions_prompt_must_be_text_or_token_ids(prompt: object) -> None:
    body = json.dumps({"model": "m", "prompt": prompt}).encode()
    assert body_problem(body, "completions")
    assert body_problem(body, "chat") is None  # other surfaces are checked by the pre-call hook


@pytest.mark.parametrize("messages", [None, {}, "hi", [None], [{}, ["a"]]])
def test_anthropic_messages_must_be_an_array_of_objects(messages: object) -> None:
    body = json.dumps({"model": "m", "messages": messages}).encode()
    assert body_problem(body, "messages") == "messages must be an array of message objects"


@pytest.mark.parametrize("param", ["messages", "tools", "response_format"])
def test_completions_take_no_chat_only_parameters(param: str) -> None:
    body = json.dumps({"model": "m", "prompt": "hi", param: []}).encode()
    assert (body_problem(body, "completions") or "").startswith(param)
    assert body_problem(body, "chat") is None


@pytest.mark.parametrize("stream", [1, 0, "yes", [], {}])
def test_stream_is_a_boolean(stream: object) -> None:
    assert body_problem(json.dumps({"model": "m", "stream": stream}).encode()) == "stream must be true or false"


def test_an_anthropic_message_needs_role_and_content() -> None:
    assert body_problem(b'{"messages": [{}]}', "messages") == "every message needs a role and content"
    assert body_problem(b'{"messages": [{"role": "user", "content": "hi"}]}', "messages") is None


def test_a_chat_message_other_than_the_assistants_needs_content() -> None:
    assert body_problem(b'{"messages": [{"role": "developer"}]}', "chat") == "a developer message needs content"
    assert body_problem(b'{"messages": [{"role": "assistant", "tool_calls": []}]}', "chat") is None


def test_nesting_deeper_than_the_backend_call_can_encode_is_a_400() -> None:
    assert body_problem(b'{"a": ' + b"[" * 256 + b"]" * 256 + b"}") is not None
    assert body_problem(b'{"a": ' + b"[" * 255 + b"]" * 255 + b"}") is None


@pytest.mark.parametrize(("field", "value"), [("tools", {}), ("tools", [1]), ("tool_choice", 3),
                                              ("tool_choice", "auto"), ("system", [3]), ("system", 3)])
def test_anthropic_tools_tool_choice_and_system_have_their_shapes(field: str, value: object) -> None:
    body = json.dumps({"model": "m", "messages": [], field: value}).encode()
    assert (body_problem(body, "messages") or "").startswith(field)
    ok = {"tools": [{"name": "t"}], "tool_choice": {"type": "auto"}, "system": [{"type": "text", "text": "x"}]}
    assert body_problem(json.dumps({"model": "m", field: ok[field]}).encode(), "messages") is None


@pytest.mark.parametrize("prompt", ["", "hi", ["a", "b"], [1, 2], [[1], [2, 3]]])
def test_completions_prompts_openai_accepts_pass(prompt: object) -> None:
    assert body_problem(json.dumps({"model": "m", "prompt": prompt}).encode(), "completions") is None


def _app(seen: list[Any]) -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        seen.append(await request.body())
        return JSONResponse({"ok": True})

    return Starlette(routes=[Route(p, echo, methods=["POST"]) for p in ("/v1/chat/completions", "/v1/messages",
                                                                         "/v1/embeddings")])


async def _post(app: Any, path: str, content: bytes, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post(path, content=content, headers=headers)


def test_non_object_is_400_in_the_surfaces_format_and_never_reaches_the_app() -> None:
    asyncio.run(_non_object_is_400_in_the_surfaces_format_and_never_reaches_the_app())


async def _non_object_is_400_in_the_surfaces_format_and_never_reaches_the_app() -> None:
    seen: list[Any] = []
    guarded = BodyGuard(_app(seen))
    chat = await _post(guarded, "/v1/chat/completions", b"[]")
    assert chat.status_code == 400
    assert chat.json()["error"]["type"] == "invalid_request_error" and "array" in chat.json()["error"]["message"]
    messages = await _post(guarded, "/v1/messages", b"null")
    assert messages.status_code == 400
    assert messages.json()["type"] == "error" and "null" in messages.json()["error"]["message"]
    assert seen == []


def test_other_requests_reach_the_app_with_their_body_intact() -> None:
    asyncio.run(_other_requests_reach_the_app_with_their_body_intact())


async def _other_requests_reach_the_app_with_their_body_intact() -> None:
    seen: list[Any] = []
    guarded = BodyGuard(_app(seen))
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "é" * 70_000}]}).encode()
    assert (await _post(guarded, "/v1/chat/completions", body)).status_code == 200
    assert (await _post(guarded, "/v1/embeddings", b"[]")).status_code == 200  # not a routed surface
    form = await _post(guarded, "/v1/chat/completions", b"a=b", **{"content-type": "application/x-www-form-urlencoded"})
    assert form.status_code == 200  # LiteLLM parses forms itself
    assert seen == [body, b"[]", b"a=b"]


def test_install_wraps_a_started_app_and_remove_restores_it() -> None:
    asyncio.run(_install_wraps_a_started_app_and_remove_restores_it())


async def _install_wraps_a_started_app_and_remove_restores_it() -> None:
    seen: list[Any] = []
    app = _app(seen)
    assert (await _post(app, "/v1/chat/completions", b"{}")).status_code == 200  # builds the stack
    built = app.middleware_stack
    guard = install(app)
    assert (await _post(app, "/v1/chat/completions", b"[]")).status_code == 400
    guard.remove()
    assert app.middleware_stack is built
    assert (await _post(app, "/v1/chat/completions", b"[]")).status_code == 200


def test_install_on_an_app_not_started_joins_its_middleware() -> None:
    asyncio.run(_install_on_an_app_not_started_joins_its_middleware())


async def _install_on_an_app_not_started_joins_its_middleware() -> None:
    seen: list[Any] = []
    app = _app(seen)
    guard = install(app)
    assert (await _post(app, "/v1/chat/completions", b"3")).status_code == 400
    guard.remove()
    assert app.user_middleware == []


@pytest.mark.parametrize(("name", "value"), [
    ("x-litellm-timeout", ""), ("x-litellm-timeout", "abc"), ("x-litellm-timeout", "nan"),
    ("x-litellm-timeout", "-1"), ("x-litellm-stream-timeout", "inf"), ("x-litellm-num-retries", "1.5"),
    ("x-litellm-keepalive-seconds", ",h"),
])
def test_litellms_numeric_headers_must_be_numbers(name: str, value: str) -> None:
    problem = header_problem({name: value})
    assert problem and name in problem


def test_sane_numeric_headers_pass() -> None:
    assert header_problem({"x-litellm-timeout": "90", "x-litellm-stream-timeout": "2.5",
                           "x-litellm-num-retries": "0", "x-other": "x"}) is None


def test_bad_header_is_400_before_the_body_is_read() -> None:
    asyncio.run(_bad_header_is_400_before_the_body_is_read())


async def _bad_header_is_400_before_the_body_is_read() -> None:
    seen: list[Any] = []
    resp = await _post(BodyGuard(_app(seen)), "/v1/messages", b"{}", **{"x-litellm-timeout": "soon"})
    assert resp.status_code == 400 and "x-litellm-timeout" in resp.json()["error"]["message"]
    assert seen == []


def test_a_valid_messages_body_nested_too_deep_is_refused_too() -> None:
    # Found by the fuzz suite: the Anthropic shape checks returned early, so a Messages body with a
    # deeply nested extra field reached LiteLLM, whose JSON encoder hit its recursion limit (500).
    deep = "[" * 1000 + "1" + "]" * 1000
    body = ('{"content": ' + deep + ', "model": "agent-router", "max_tokens": 4, '
            '"messages": [{"role": "user", "content": "hi"}]}').encode()
    assert body_problem(body, "messages") == "the request body is nested more than 256 levels deep"

