"""Request bodies for the in-process hook benchmark: each surface's shape, short and agent-sized.

Built once per workload (outside the timed loop) as an agent would send them: a short task; a
200-message tool loop (a coding task, then assistant tool calls and tool results taking turns);
one tool result of 1 MB (a log file: ASCII with a few non-ASCII characters, as real tool
output has, so the non-ASCII path is the one measured). Shapes follow each API's reference:
Chat Completions `messages`/`tool_calls`/`role: tool`; Responses `input` items
(`function_call`, `function_call_output`) and `instructions`; Anthropic Messages content blocks
(`tool_use`, `tool_result`) and `system`; legacy Completions `prompt`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from scripts.bench.load import PROMPTS

Body = dict[str, Any]
VIRTUAL_MODEL: Final = "agent-router"
TASK: Final = "Fix the failing unit test in parser.py: the CSV reader drops the last row."
SYSTEM: Final = "You are a coding agent. Use the tools to read and edit files; run the tests."
STEPS: Final = 99  # 1 user turn + 99 (call, result) pairs + 1 = 200 messages
LOG_LINE: Final = "2026-12-01T08:00:00Z INFO worker-3 processed batch 1042 in 12.4 ms — ok\n"


def _tool_output(step: int) -> str:
    return (f"$ pytest -q tests/test_parser.py::test_{step}\n"
            f"F\nE   AssertionError: expected 10 rows, got 9 (step {step})\n"
            "tests/test_parser.py:41: in test_reader\n    assert len(rows) == 10\n") * 2


def one_megabyte() -> str:
    return (LOG_LINE * (1_000_000 // len(LOG_LINE) + 1))[:1_000_000]


def chat(index: int) -> Body:
    return {"model": VIRTUAL_MODEL, "messages": [{"role": "user", "content": PROMPTS[index % len(PROMPTS)]}]}


def chat_loop(output: Callable[[int], str] = _tool_output, steps: int = STEPS) -> Body:
    messages: list[dict[str, Any]] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": TASK}]
    for step in range(steps):
        call_id = f"call_{step}"
        messages.append({"role": "assistant", "content": None, "tool_calls": [{
            "id": call_id, "type": "function",
            "function": {"name": "run_tests", "arguments": json.dumps({"path": "tests/test_parser.py"})}}]})
        messages.append({"role": "tool", "tool_call_id": call_id, "content": output(step)})
    tools = [{"type": "function", "function": {
        "name": "run_tests", "description": "Run pytest on a path",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}}]
    return {"model": VIRTUAL_MODEL, "messages": messages[:200], "tools": tools}


def responses(index: int) -> Body:
    return {"model": VIRTUAL_MODEL, "input": PROMPTS[index % len(PROMPTS)]}


def responses_loop(output: Callable[[int], str] = _tool_output, steps: int = STEPS) -> Body:
    items: list[dict[str, Any]] = [{"role": "user", "content": [{"type": "input_text", "text": TASK}]}]
    for step in range(steps):
        call_id = f"call_{step}"
        items.append({"type": "function_call", "call_id": call_id, "name": "run_tests",
                      "arguments": json.dumps({"path": "tests/test_parser.py"})})
        items.append({"type": "function_call_output", "call_id": call_id, "output": output(step)})
    tools = [{"type": "function", "name": "run_tests", "description": "Run pytest on a path",
              "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}]
    return {"model": VIRTUAL_MODEL, "input": items[:200], "instructions": SYSTEM, "tools": tools}


def messages(index: int) -> Body:
    return {"model": VIRTUAL_MODEL, "max_tokens": 256,
            "messages": [{"role": "user", "content": PROMPTS[index % len(PROMPTS)]}]}


def messages_loop(output: Callable[[int], str] = _tool_output, steps: int = STEPS) -> Body:
    turns: list[dict[str, Any]] = [{"role": "user", "content": [{"type": "text", "text": TASK}]}]
    for step in range(steps):
        tool_id = f"toolu_{step}"
        turns.append({"role": "assistant", "content": [
            {"type": "text", "text": "Running the tests."},
            {"type": "tool_use", "id": tool_id, "name": "run_tests", "input": {"path": "tests/test_parser.py"}}]})
        turns.append({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": tool_id, "content": output(step)}]})
    tools = [{"name": "run_tests", "description": "Run pytest on a path",
              "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}}}]
    return {"model": VIRTUAL_MODEL, "max_tokens": 1024, "system": SYSTEM, "messages": turns[:200], "tools": tools}


def completions(index: int) -> Body:
    return {"model": VIRTUAL_MODEL, "prompt": PROMPTS[index % len(PROMPTS)], "max_tokens": 64}


def completions_long() -> Body:
    return {"model": VIRTUAL_MODEL, "prompt": TASK + "\n\n" + one_megabyte(), "max_tokens": 64}


def _megabyte_once(step: int) -> str:
    """The loop's last tool result is the 1 MB log; the others are the usual short outputs."""
    return one_megabyte() if step == 0 else _tool_output(step)


# workload name -> (LiteLLM call type, body for request `index`). Bodies that do not vary per
# request are built once and shared (the hook does not mutate the conversation).
def workloads() -> dict[str, tuple[str, Callable[[int], Body]]]:
    def fixed(body: Body) -> Callable[[int], Body]:
        return lambda index: body

    return {
        "chat": ("acompletion", chat),
        "chat_200_messages": ("acompletion", fixed(chat_loop())),
        "chat_1mb_tool_output": ("acompletion", fixed(chat_loop(_megabyte_once, steps=1))),
        "responses": ("aresponses", responses),
        "responses_200_items": ("aresponses", fixed(responses_loop())),
        "responses_1mb_tool_output": ("aresponses", fixed(responses_loop(_megabyte_once, steps=1))),
        "messages": ("anthropic_messages", messages),
        "messages_200_messages": ("anthropic_messages", fixed(messages_loop())),
        "messages_1mb_tool_output": ("anthropic_messages", fixed(messages_loop(_megabyte_once, steps=1))),
        "completions": ("atext_completion", completions),
        "completions_1mb_prompt": ("atext_completion", fixed(completions_long())),
    }
