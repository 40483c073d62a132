"""The pre-call hook on every surface's call type: same routing, the record where callbacks read it,
bad input refused before any backend (called directly, no proxy)."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest
from litellm.proxy._types import ProxyException

from plugins.record import RoutingRecord
from router_hooks.call_data import record_in
from tests.support.agent_loops import loop_body
from tests.test_hook import call, make_hook

CODE = "Write a Python function that merges two sorted lists"
BODIES: dict[str, tuple[str, dict[str, Any], str]] = {
    # call type -> (surface, body, the metadata key LiteLLM 1.108.7 hands to the callbacks)
    "acompletion": ("chat", {"messages": [{"role": "user", "content": CODE}]}, "metadata"),
    "aresponses": ("responses", {"input": CODE}, "litellm_metadata"),
    "anthropic_messages": ("messages", {"max_tokens": 8, "messages": [{"role": "user", "content": CODE}]},
                           "litellm_metadata"),
    "atext_completion": ("completions", {"prompt": CODE}, "metadata"),
}


@pytest.mark.parametrize("call_type", list(BODIES))
def test_every_surface_is_routed_and_recorded_where_callbacks_read(call_type: str) -> None:
    hook, registry, _ = make_hook()
    _, body, key = BODIES[call_type]
    data = call(hook, {"model": "agent-router", key: {"existing": 1}, **body}, call_type)
    assert data["model"] == "qwen-coder"
    record = data[key]["agent_router"]
    assert isinstance(record, RoutingRecord) and record.intent == "code"
    assert data[key]["existing"] == 1
    # The success callback reads kwargs["litellm_params"][key]; the header hook reads the request data.
    assert record_in({key: data[key]}) is record and record_in(data) is record
    assert registry.get_sample_value(
        "agent_router_intent_classification_total", {"intent": "code", "confidence": "high"}) == 1.0


def test_responses_metadata_param_is_not_touched() -> None:
    """On /v1/responses `metadata` is the client's own API parameter, forwarded to the provider."""
    hook, _, _ = make_hook()
    data = call(hook, {"model": "agent-router", "input": CODE, "metadata": {"ticket": "42"}}, "aresponses")
    assert data["metadata"] == {"ticket": "42"} and "agent_router" in data["litellm_metadata"]


@pytest.mark.parametrize(("call_type", "body", "param"), [
    ("acompletion", {"messages": [{"role": "user", "content": "x"}], "temperature": "hot"}, "temperature"),
    ("aresponses", {}, "input"),
    ("aresponses", {"input": "x", "top_p": 2}, "top_p"),
    ("anthropic_messages", {"messages": [{"role": "user", "content": "x"}]}, "max_tokens"),
    ("anthropic_messages", {"max_tokens": 8, "messages": [{"role": "user", "content": [{"type": "text"}]}]},
     "messages[0].content[0].text"),
    ("atext_completion", {"prompt": None}, "prompt"),
])
def test_bad_input_raises_a_400_naming_the_field(call_type: str, body: dict[str, Any], param: str) -> None:
    hook, registry, _ = make_hook()
    with pytest.raises(ProxyException) as info:
        call(hook, {"model": "agent-router", **body}, call_type)
    assert info.value.code == "400" and info.value.param == param
    assert registry.get_sample_value("agent_router_classification_latency_seconds_count") == 0.0


def test_direct_models_are_validated_but_not_routed() -> None:
    """A client naming a model group gets exactly that group, unclassified; its bad input still
    gets a 400 naming the parameter (LiteLLM answered some of it with a 500: the fuzz suite)."""
    hook, registry, _ = make_hook()
    body = {"model": "llama", "input": "write a python function"}
    assert call(hook, dict(body), "aresponses") == body
    assert registry.get_sample_value("agent_router_classification_latency_seconds_count") == 0.0
    with pytest.raises(ProxyException) as info:
        call(hook, {"model": "llama", "input": "x", "temperature": "hot"}, "aresponses")
    assert info.value.param == "temperature"


@pytest.mark.parametrize(("call_type", "surface"), [("acompletion", "chat"), ("aresponses", "responses"),
                                                    ("anthropic_messages", "messages")])
def test_ten_step_tool_loop_keeps_its_model_in_the_hook(call_type: str, surface: Any) -> None:
    hook, _, _ = make_hook()
    for steps in range(10):
        data = call(hook, {"model": "agent-router", **loop_body(surface, steps)}, call_type)
        assert data["model"] == "qwen-coder", steps
    data = call(hook, {"model": "agent-router", **loop_body(surface, 10, new_task=True)}, call_type)
    assert data["model"] == "llama"


def test_route_without_counting() -> None:
    hook, registry, _ = make_hook()
    from plugins.prompt import Prompt

    record = asyncio.run(hook.route(Prompt(CODE), count=False))
    assert record.routed_model == "qwen-coder"
    assert registry.get_sample_value("agent_router_classification_latency_seconds_count") == 0.0


def litellm_response_id(model_id: str) -> str:
    raw = f"litellm:custom_llm_provider:openai;model_id:{model_id};response_id:resp_1".encode()
    return "resp_" + base64.b64encode(raw).decode()


def test_tool_results_continuing_a_stored_response_stay_on_its_model() -> None:
    hook, registry, _ = make_hook()
    outputs = [{"type": "function_call_output", "call_id": "c1", "output": "Tell me a story: 2+2=4"}]
    data = call(hook, {"model": "agent-router", "previous_response_id": litellm_response_id("id-qwen"),
                       "input": outputs}, "aresponses")
    record = data["litellm_metadata"]["agent_router"]
    assert data["model"] == "qwen-coder" and record.classifier == "previous_response"
    assert record.intent == "code" and record.route_reason is None
    # Not a classification: nothing is counted as one.
    assert registry.get_sample_value("agent_router_classification_latency_seconds_count") == 0.0


def test_new_user_text_after_a_stored_response_is_classified() -> None:
    hook, _, _ = make_hook()
    data = call(hook, {"model": "agent-router", "previous_response_id": litellm_response_id("id-qwen"),
                       "input": "Tell me a story about a dragon"}, "aresponses")
    assert data["model"] == "llama" and data["litellm_metadata"]["agent_router"].classifier == "keyword"


def test_unknown_previous_response_is_classified_as_usual() -> None:
    hook, _, _ = make_hook()
    outputs = [{"type": "function_call_output", "call_id": "c1", "output": "ok"}]
    data = call(hook, {"model": "agent-router", "previous_response_id": "resp_opaque", "input": outputs},
                "aresponses")
    assert data["model"] == "llama" and data["litellm_metadata"]["agent_router"].defaulted is True


# Decrypting imports LiteLLM's proxy server module, whose own pydantic models warn (not ours).
@pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20")
def test_litellm_response_ids_are_read_with_its_own_encoder() -> None:
    """Contract with the installed LiteLLM: the id format the bridge issues, and decryption of an id
    that is not encrypted returning it unchanged."""
    from litellm.proxy.hooks.responses_id_security import decrypted_response_id
    from litellm.responses.utils import ResponsesAPIRequestUtils

    from plugins.surfaces.responses import continued_deployment

    issued = ResponsesAPIRequestUtils._build_responses_api_response_id("openai", "id-qwen", "chatcmpl-1")
    assert continued_deployment(issued) == "id-qwen"
    assert decrypted_response_id(issued) == issued


def test_a_reader_bug_fails_open_to_the_default_model() -> None:
    hook, registry, _ = make_hook()

    class Exploding(list):  # type: ignore[type-arg]
        def __iter__(self) -> Any:
            raise RuntimeError("a reader bug")

    data = call(hook, {"model": "agent-router", "input": Exploding(["x"])}, "aresponses")
    assert data["model"] == "llama" and data["litellm_metadata"]["agent_router"].defaulted is True
    assert registry.get_sample_value(
        "agent_router_errors_total", {"model": "llama", "error_type": "classifier"}) == 1.0
