"""Every API surface through a real proxy to real MAX Serve echo backends, with real clients.

The official `openai` SDK (chat, responses streaming and not, completions), the `anthropic` SDK
(`messages.create`, `messages.stream`) and the `openai-agents` SDK (an agent with a function tool)
send a code, a reasoning and a general prompt each; the backend that served is read from the
fault proxies' counters, not from our header alone.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Mapping
from typing import Any

import anthropic
import openai
import pytest
from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_tracing_disabled

from plugins.surfaces import Surface
from tests.support.agent_loops import loop_body
from tests.support.cluster import Backend, Proxy
from tests.support.served import served_by

pytestmark = pytest.mark.integration

# The agents SDK would otherwise export traces to a remote host.
set_tracing_disabled(True)

PROMPTS = {
    "qwen-coder": "Write a Python function that parses a CSV file and fix this bug: ```x = [1,2```",
    "deepseek-r1": "Solve step by step: how many ways can 3 people sit in 5 chairs? Prove it.",
    "llama": "Tell me a story about the history of Rome.",
}
GROUPS = list(PROMPTS)


def routing(headers: Mapping[str, str]) -> dict[str, Any]:
    return dict(json.loads(headers["x-routing-metadata"]))


def assert_routed(meta: dict[str, Any], group: str, backends: dict[str, Backend]) -> None:
    assert meta["model_id"] == group and meta["primary_model"] == group
    assert meta["model_name"] == backends[group].served_model and meta["fallback_used"] is False


@pytest.fixture(scope="module")
def oai(proxy: Proxy) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=proxy.base_url + "/v1", api_key=proxy.master_key, max_retries=0) as client:
        yield client


@pytest.fixture(scope="module")
def claude(proxy: Proxy) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=proxy.base_url, api_key=proxy.master_key, max_retries=0) as client:
        yield client


@pytest.mark.parametrize("group", GROUPS)
def test_openai_chat(oai: openai.OpenAI, healthy_backends: dict[str, Backend], group: str) -> None:
    with served_by(healthy_backends) as served:
        raw = oai.chat.completions.with_raw_response.create(
            model="agent-router", max_tokens=8, messages=[{"role": "user", "content": PROMPTS[group]}])
    assert served.only == group
    assert_routed(routing(raw.headers), group, healthy_backends)
    assert raw.parse().choices[0].message.content


@pytest.mark.parametrize("group", GROUPS)
def test_openai_responses(oai: openai.OpenAI, healthy_backends: dict[str, Backend], group: str) -> None:
    with served_by(healthy_backends) as served:
        raw = oai.responses.with_raw_response.create(
            model="agent-router", max_output_tokens=16, input=PROMPTS[group])
    assert served.only == group
    assert_routed(routing(raw.headers), group, healthy_backends)
    assert raw.parse().output_text


@pytest.mark.parametrize("group", GROUPS)
def test_openai_responses_streaming(oai: openai.OpenAI, healthy_backends: dict[str, Backend],
                                    group: str) -> None:
    with served_by(healthy_backends) as served, oai.responses.with_streaming_response.create(
            model="agent-router", max_output_tokens=16, stream=True,
            input=[{"role": "user", "content": [{"type": "input_text", "text": PROMPTS[group]}]}]) as raw:
        meta = routing(raw.headers)
        events = [json.loads(line[6:])["type"] for line in raw.iter_lines() if line.startswith("data: {")]
    assert served.only == group
    assert_routed(meta, group, healthy_backends)
    assert events[0] == "response.created" and "response.output_text.delta" in events


@pytest.mark.parametrize("group", GROUPS)
def test_openai_completions(oai: openai.OpenAI, healthy_backends: dict[str, Backend], group: str) -> None:
    with served_by(healthy_backends) as served:
        raw = oai.completions.with_raw_response.create(model="agent-router", max_tokens=8,
                                                       prompt=PROMPTS[group])
    assert served.only == group
    assert_routed(routing(raw.headers), group, healthy_backends)
    assert raw.parse().choices[0].text


@pytest.mark.parametrize("group", GROUPS)
def test_anthropic_messages(claude: anthropic.Anthropic, healthy_backends: dict[str, Backend],
                            group: str) -> None:
    with served_by(healthy_backends) as served:
        raw = claude.messages.with_raw_response.create(
            model="agent-router", max_tokens=16, system="You are helpful.",
            messages=[{"role": "user", "content": PROMPTS[group]}])
    assert served.only == group
    assert_routed(routing(raw.headers), group, healthy_backends)
    assert raw.parse().content[0].type == "text"


@pytest.mark.parametrize("group", GROUPS)
def test_anthropic_messages_stream(claude: anthropic.Anthropic, healthy_backends: dict[str, Backend],
                                   group: str) -> None:
    with served_by(healthy_backends) as served, claude.messages.stream(
            model="agent-router", max_tokens=16,
            messages=[{"role": "user", "content": [{"type": "text", "text": PROMPTS[group]}]}]) as stream:
        text = stream.get_final_text()
        meta = routing(stream.response.headers)
    assert served.only == group
    assert_routed(meta, group, healthy_backends)
    assert text


@function_tool
def run_tests(path: str) -> str:
    """Run the test suite under `path` and return its summary."""
    return f"1 failed, 12 passed ({path})"


@pytest.mark.parametrize("group", GROUPS)
def test_openai_agents_sdk(proxy: Proxy, healthy_backends: dict[str, Backend], group: str) -> None:
    async def run() -> Any:
        # The client is closed inside the loop that used it (strict pytest: no leaked sockets).
        async with openai.AsyncOpenAI(base_url=proxy.base_url + "/v1", api_key=proxy.master_key,
                                      max_retries=0) as client:
            agent = Agent(name="helper", instructions="Help the user; run tests when code changes.",
                          tools=[run_tests],
                          model=OpenAIResponsesModel(model="agent-router", openai_client=client))
            # The echo model never calls the tool: one model turn, answered by the routed backend.
            return await Runner.run(agent, PROMPTS[group], max_turns=3)

    with served_by(healthy_backends) as served:
        result = asyncio.run(run())
    assert served.only == group
    assert isinstance(result.final_output, str) and result.final_output


SURFACE_PATHS = {"chat": "/v1/chat/completions", "responses": "/v1/responses", "messages": "/v1/messages"}
LIMITS = {"chat": {"max_tokens": 8}, "responses": {"max_output_tokens": 16}, "messages": {"max_tokens": 16}}


@pytest.mark.parametrize("surface", ["chat", "responses", "messages"])
def test_ten_step_tool_loop_keeps_its_model(proxy: Proxy, healthy_backends: dict[str, Backend],
                                            surface: Surface) -> None:
    """Each step re-sends the history plus one more tool call and result (stack traces, listings,
    maths-looking output): the coding task stays on qwen-coder; a new task moves it."""
    path = SURFACE_PATHS[surface]
    for steps in range(10):
        body = {"model": "agent-router", **loop_body(surface, steps), **LIMITS[surface]}
        with served_by(healthy_backends) as served:
            resp = proxy.client.post(path, json=body)
        assert resp.status_code == 200, resp.text
        assert served.only == "qwen-coder", f"step {steps}"
        assert routing(resp.headers)["intent"] == "code"
    body = {"model": "agent-router", **loop_body(surface, 10, new_task=True), **LIMITS[surface]}
    with served_by(healthy_backends) as served:
        resp = proxy.client.post(path, json=body)
    assert resp.status_code == 200, resp.text
    assert served.only == "llama"


def test_tool_results_by_previous_response_id_stay_on_its_model(
        oai: openai.OpenAI, healthy_backends: dict[str, Backend]) -> None:
    """An agent loop continuing a stored response sends only tool results: no user text to classify,
    so the request stays on the model that produced the response it continues."""
    first = oai.responses.create(model="agent-router", input=PROMPTS["qwen-coder"], max_output_tokens=16)
    outputs: Any = [{"type": "function_call_output", "call_id": "call_1",
                "output": "Tell me a story. Solve 2+2 step by step."}]
    with served_by(healthy_backends) as served:
        raw = oai.responses.with_raw_response.create(
            model="agent-router", previous_response_id=first.id, input=outputs, max_output_tokens=16)
    assert served.only == "qwen-coder"
    meta = routing(raw.headers)
    assert meta["classifier"] == "previous_response" and meta["model_id"] == "qwen-coder"
    # New user text decides again, even on a continuation.
    with served_by(healthy_backends) as served:
        oai.responses.create(model="agent-router", previous_response_id=first.id, max_output_tokens=16,
                             input=PROMPTS["llama"])
    assert served.only == "llama"
