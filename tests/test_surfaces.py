"""The prompt readers of the four API surfaces: the same Prompt view from each request format."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from plugins.classify.build import build_classifier
from plugins.config import load_config
from plugins.prompt import Prompt, PromptError
from plugins.routing import choose_route
from plugins.surfaces import SURFACES, Surface, read, surface_of
from plugins.surfaces.injected import strip_injected
from plugins.surfaces.responses import continued_deployment
from scripts.stack import ROOT
from tests.support.agent_loops import CODE_TASK, NEW_TASK, loop_body

CONFIG = load_config(ROOT / "litellm_config.yaml")
CLASSIFIER = build_classifier(CONFIG)
SAME = Prompt(latest="why does it still fail?", context=("Write a regex for dates", "\\d{4}"),
              system="Be terse.")


@pytest.mark.parametrize(("surface", "body"), [
    ("chat", {"messages": [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "Write a regex for dates"},
        {"role": "assistant", "content": "\\d{4}"},
        {"role": "user", "content": [{"type": "text", "text": "why does it still fail?"}]}]}),
    ("responses", {"instructions": "Be terse.", "input": [
        {"role": "user", "content": "Write a regex for dates"},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "\\d{4}"}]},
        {"role": "user", "content": [{"type": "input_text", "text": "why does it still fail?"},
                                     {"type": "input_image", "image_url": "data:image/png;base64,AA"}]}]}),
    ("messages", {"system": [{"type": "text", "text": "Be terse."}], "messages": [
        {"role": "user", "content": "Write a regex for dates"},
        {"role": "assistant", "content": [{"type": "text", "text": "\\d{4}"}]},
        {"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA"}},
            {"type": "text", "text": "why does it still fail?"}]}]}),
])
def test_every_surface_gives_the_same_view(surface: Surface, body: dict[str, Any]) -> None:
    assert read(surface, body) == SAME


def test_responses_string_input_and_completions_prompt() -> None:
    assert read("responses", {"input": "hi", "instructions": "sys"}) == Prompt("hi", (), "sys")
    assert read("completions", {"prompt": "def f(x):"}) == Prompt("def f(x):")
    assert read("completions", {"prompt": ["a", "b"]}).latest == "a\nb"
    # Token ids carry no text: nothing to classify, the default model serves.
    assert read("completions", {"prompt": [1, 2, 3]}) == Prompt("", typed=False)
    assert read("completions", {"prompt": [[1, 2], [3]]}).latest == ""


def test_system_and_developer_items_join_instructions() -> None:
    prompt = read("responses", {"instructions": "A", "input": [
        {"role": "developer", "content": "B"}, {"role": "user", "content": "question"}]})
    assert prompt.system == "A\nB" and prompt.latest == "question"


def test_tool_results_are_never_the_latest_turn() -> None:
    body = {"messages": [
        {"role": "user", "content": "Tell me a story about a dragon"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "search", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1",
                                      "content": "Traceback (most recent call last): def f(): ..."}]}]}
    assert read("messages", body) == Prompt("Tell me a story about a dragon")


def test_injected_text_never_decides() -> None:
    body = {"messages": [
        {"role": "user", "content": "Write a SQL query that lists overdue invoices"},
        {"role": "assistant", "content": "SELECT ..."},
        {"role": "user", "content": "<system-reminder>Tell me a story. Solve 2+2.</system-reminder>"}]}
    prompt = read("chat", body)
    assert prompt.latest == "Write a SQL query that lists overdue invoices"
    assert prompt.context == ()


@pytest.mark.parametrize(("text", "kept"), [
    ("<system-reminder>a</system-reminder>real", "real"),
    ("<system-reminder>only a reminder</system-reminder>\n", ""),
    ("<env>a</env> typed <env>b</env>", " typed "),
    ("before <env>\ncwd: /x\n</env> after", "before  after"),
    ('<environment_details id="3">files</environment_details>task', "task"),
    ("<environment_context>x</environment_context><user_instructions>y</user_instructions>go", "go"),
    ("<system-reminder>never closed, kept", "<system-reminder>never closed, kept"),
    ("<envelope>is not a tag we strip</envelope>", "<envelope>is not a tag we strip</envelope>"),
    ("a < b and c > d", "a < b and c > d"),
])
def test_strip_injected(text: str, kept: str) -> None:
    assert strip_injected(text) == kept


def test_strip_injected_is_linear_on_unclosed_tags() -> None:
    text = "<system-reminder>" * 100_000  # quadratic scanning would take minutes
    assert strip_injected(text) == text


@pytest.mark.parametrize("surface", ["chat", "responses", "messages"])
def test_ten_step_tool_loop_keeps_its_model(surface: Surface) -> None:
    models = set()
    for steps in range(11):
        prompt = read(surface, loop_body(surface, steps))
        assert prompt.latest.strip() == CODE_TASK
        models.add(choose_route(CLASSIFIER.classify(prompt), CONFIG).model)
    assert models == {"qwen-coder"}
    # A new user turn that clearly changes the task may re-route.
    changed = read(surface, loop_body(surface, 10, new_task=True))
    assert changed.latest == NEW_TASK
    assert choose_route(CLASSIFIER.classify(changed), CONFIG).model == "llama"


def test_no_user_text_at_all_reads_the_last_turn() -> None:
    assert read("chat", {"messages": [
        {"role": "system", "content": "rules"},
        {"role": "assistant", "content": "earlier"},
        {"role": "assistant", "content": "last"}]}) == Prompt("last", ("earlier",), "rules", typed=False)


def test_long_histories_keep_only_what_classifiers_read() -> None:
    turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": f"turn {i}"} for i in range(199)]
    prompt = read("chat", {"messages": turns})
    assert prompt.latest == "turn 198" and prompt.context[-1] == "turn 197" and len(prompt.context) == 8


def test_call_types_map_to_surfaces() -> None:
    assert [surface_of(t) for t in ("acompletion", "aresponses", "anthropic_messages",
                                    "atext_completion", "aembedding")] == [
        "chat", "responses", "messages", "completions", None]
    assert set(SURFACES) == {"chat", "responses", "messages", "completions"}


@pytest.mark.parametrize(("surface", "body", "param"), [
    ("chat", {"messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role"),
    ("chat", {"messages": [{"role": "user", "content": [{"type": "text"}]}]}, "messages[0].content[0].text"),
    ("chat", {"messages": [{"role": "user", "content": ["bare string part"]}]}, "messages[0].content[0]"),
    ("chat", {"messages": [{"role": "assistant", "tool_calls": [{"id": "x"}]}]}, "messages[0].tool_calls[0]"),
    ("responses", {}, "input"),
    ("responses", {"input": []}, "input"),
    ("responses", {"input": 5}, "input"),
    ("responses", {"input": "x", "instructions": ["list"]}, "instructions"),
    ("responses", {"input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
    ("responses", {"input": [{"role": "user", "content": 3}]}, "input[0].content"),
    ("responses", {"input": [{"role": "user", "content": [{"text": "no type"}]}]}, "input[0].content[0]"),
    ("responses", {"input": [{"type": "function_call_output", "output": "x"}]}, "input[0].call_id"),
    ("responses", {"input": [{"type": "function_call", "call_id": "c", "name": "f", "arguments": {}}]},
     "input[0].arguments"),
    ("messages", {}, "messages"),
    ("messages", {"messages": [{"role": "system", "content": "x"}]}, "messages[0].role"),
    ("messages", {"messages": [{"role": "user", "content": [{"type": "text", "text": 1}]}]},
     "messages[0].content[0].text"),
    ("messages", {"messages": [{"role": "user", "content": [{"kind": "text"}]}]}, "messages[0].content[0]"),
    ("messages", {"messages": [{"role": "assistant", "content": [
        {"type": "tool_use", "id": "t", "name": "f", "input": "not an object"}]}]}, "messages[0].content[0].input"),
    ("messages", {"messages": [{"role": "user", "content": [{"type": "tool_result"}]}]},
     "messages[0].content[0].tool_use_id"),
    ("messages", {"system": 5, "messages": [{"role": "user", "content": "x"}]}, "system"),
    ("messages", {"system": [{"type": "image"}], "messages": [{"role": "user", "content": "x"}]},
     "system[0].type"),
    ("completions", {}, "prompt"),
    ("completions", {"prompt": []}, "prompt"),
    ("completions", {"prompt": [1, "mixed"]}, "prompt"),
])
def test_malformed_conversations_name_the_field(surface: Surface, body: dict[str, Any], param: str) -> None:
    with pytest.raises(PromptError) as info:
        read(surface, body)
    assert info.value.param == param


def test_a_body_that_is_not_an_object() -> None:
    with pytest.raises(PromptError):
        read("chat", [])


def test_continued_deployment_reads_litellm_response_ids() -> None:
    encoded = base64.b64encode(b"litellm:custom_llm_provider:openai;model_id:dep-1;response_id:r1").decode()
    assert continued_deployment("resp_" + encoded) == "dep-1"
    for other in (None, 5, "resp_abc", "resp_" + base64.b64encode(b"other:model_id:x").decode(), "chatcmpl-1"):
        assert continued_deployment(other) is None


def test_tool_results_only_input_is_not_typed() -> None:
    prompt = read("responses", {"previous_response_id": "resp_x", "input": [
        {"type": "function_call_output", "call_id": "c1", "output": "Traceback: boom"}]})
    assert prompt == Prompt("", typed=False)
