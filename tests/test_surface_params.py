"""Parameter checks per surface: types and ranges, the parameter named, before any backend call."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.prompt import PromptError
from plugins.surfaces import Surface, validate

CHAT = {"messages": [{"role": "user", "content": "hi"}]}
RESPONSES = {"input": "hi"}
MESSAGES = {"max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
COMPLETIONS = {"prompt": "hi"}
BASE: dict[Surface, dict[str, Any]] = {"chat": CHAT, "responses": RESPONSES, "messages": MESSAGES,
                                       "completions": COMPLETIONS}

BAD: list[tuple[Surface, dict[str, Any], str]] = [
    ("chat", {"max_tokens": -5}, "max_tokens"),
    ("chat", {"max_tokens": 1.5}, "max_tokens"),
    ("chat", {"max_tokens": True}, "max_tokens"),
    ("chat", {"max_completion_tokens": 0}, "max_completion_tokens"),
    ("chat", {"temperature": "hot"}, "temperature"),
    ("chat", {"temperature": 2.5}, "temperature"),
    ("chat", {"top_p": 1.1}, "top_p"),
    ("chat", {"n": 0}, "n"),
    ("chat", {"stop": 5}, "stop"),
    ("chat", {"stop": ["a", "b", "c", "d", "e"]}, "stop"),
    ("chat", {"stream": "yes"}, "stream"),
    ("chat", {"presence_penalty": -3}, "presence_penalty"),
    ("chat", {"response_format": []}, "response_format"),
    ("chat", {"response_format": {"type": "yaml"}}, "response_format"),
    ("chat", {"response_format": {"type": "json_schema"}}, "response_format.json_schema"),
    ("chat", {"tools": {"type": "function"}}, "tools"),
    ("chat", {"tools": ["shell"]}, "tools[0]"),
    ("chat", {"tools": [{"type": "function"}]}, "tools[0].function"),
    ("chat", {"tools": [{"type": "function", "function": {"name": "has space"}}]}, "tools[0].function.name"),
    ("chat", {"tools": [{"type": "function", "function": {"name": "f", "parameters": "x"}}]},
     "tools[0].function.parameters"),
    ("chat", {"tools": [{"type": "retrieval"}]}, "tools[0].type"),
    ("responses", {"max_output_tokens": 0}, "max_output_tokens"),
    ("responses", {"temperature": -0.1}, "temperature"),
    ("responses", {"top_p": "1"}, "top_p"),
    ("responses", {"stream": 1}, "stream"),
    ("responses", {"previous_response_id": 7}, "previous_response_id"),
    ("responses", {"tools": [{"name": "f"}]}, "tools[0].type"),
    ("responses", {"tools": [{"type": "function"}]}, "tools[0].name"),
    ("messages", {"max_tokens": None}, "max_tokens"),
    ("messages", {"max_tokens": "16"}, "max_tokens"),
    ("messages", {"temperature": 1.5}, "temperature"),  # Anthropic's range is [0, 1]
    ("messages", {"top_k": -1}, "top_k"),
    ("messages", {"stop_sequences": "END"}, "stop_sequences"),
    ("messages", {"stream": "true"}, "stream"),
    ("messages", {"tools": [{"description": "no name"}]}, "tools[0].name"),
    ("messages", {"tools": [{"name": "f"}]}, "tools[0].input_schema"),
    ("completions", {"max_tokens": -1}, "max_tokens"),
    ("completions", {"temperature": float("nan")}, "temperature"),
    ("completions", {"logprobs": 6}, "logprobs"),
    ("completions", {"best_of": 0}, "best_of"),
    ("completions", {"echo": "no"}, "echo"),
]


@pytest.mark.parametrize(("surface", "change", "param"), BAD,
                         ids=[f"{s}-{p}-{i}" for i, (s, _, p) in enumerate(BAD)])
def test_bad_parameter_is_named(surface: Surface, change: dict[str, Any], param: str) -> None:
    with pytest.raises(PromptError) as info:
        validate(surface, {**BASE[surface], **change})
    assert info.value.param == param
    assert f"`{param}`" in str(info.value) or f"`{param}" in str(info.value)


GOOD: list[tuple[Surface, dict[str, Any]]] = [
    ("chat", {"max_tokens": 8, "temperature": 0, "top_p": 1, "n": 1, "stop": "END", "stream": True,
              "tools": [{"type": "function", "function": {"name": "shell_run", "parameters": {}}}],
              "tool_choice": "auto", "stream_options": {"include_usage": True}}),
    ("chat", {"temperature": None, "stop": None, "max_tokens": None}),
    ("responses", {"max_output_tokens": 16, "temperature": 1.2, "stream": False, "store": False,
                   "previous_response_id": "resp_abc",
                   "tools": [{"type": "function", "name": "shell", "parameters": {"type": "object"}},
                             {"type": "web_search_preview"}]}),
    ("messages", {"temperature": 1, "top_k": 40, "stop_sequences": ["END"], "stream": True,
                  "tools": [{"name": "shell", "input_schema": {"type": "object"}},
                            {"type": "web_search_20250305", "name": "web_search"}]}),
    ("completions", {"max_tokens": 16, "logprobs": 5, "echo": True, "stop": ["\n"], "n": 2}),
]


@pytest.mark.parametrize(("surface", "change"), GOOD)
def test_valid_parameters_pass(surface: Surface, change: dict[str, Any]) -> None:
    validate(surface, {**BASE[surface], **change})
