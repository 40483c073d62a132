"""Scripted agent conversations on each API surface: a user task followed by tool rounds.

Echo backends never call tools, so the tool turns are written into the conversation the test
sends, the way an agent harness re-sends its whole history on every step.
"""

from __future__ import annotations

import json
from typing import Any

from plugins.surfaces import Surface

CODE_TASK = "Fix the failing test in parser.py: the tokenizer drops the last token. Write the Python fix."
NEW_TASK = "Something different now: write a short poem about autumn leaves for my mother's birthday card."
# What tools hand back in a coding loop: stack traces, file listings, shell output. Deliberately
# not code-only, so a reader that classified tool output would drift.
TOOL_OUTPUTS = (
    'Traceback (most recent call last):\n  File "parser.py", line 12, in tokenize\nIndexError: list index out of range',
    "README.md\nparser.py\ntests/test_parser.py\nThe history of this project: a story told in commits.",
    "Prove that the sum of the probabilities equals one; how many tokens: 41 + 1 = 42",
    "1 failed, 12 passed in 0.31s",
    "def tokenize(text):\n    return text.split()[:-1]",
    "Dear team, the quarterly email summary and travel recipe are attached.",
    "$ git diff\n-    return text.split()[:-1]\n+    return text.split()",
    "13 passed in 0.29s",
    "Calculate the average ratio: 3/4 = 0.75 percent",
    "ok",
)
REMINDER = "<system-reminder>\nThe user has these files open: notes.md. Tell me a story.\n</system-reminder>"


def _args(step: int) -> str:
    return json.dumps({"command": f"step {step}"})


def chat_loop(steps: int, new_task: bool = False) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a helpful assistant with shell access."},
        {"role": "user", "content": CODE_TASK},
    ]
    for step in range(steps):
        call_id = f"call_{step}"
        messages.append({"role": "assistant", "content": None, "tool_calls": [
            {"id": call_id, "type": "function", "function": {"name": "shell", "arguments": _args(step)}}]})
        messages.append({"role": "tool", "tool_call_id": call_id, "content": TOOL_OUTPUTS[step % 10]})
    if new_task:
        messages.append({"role": "user", "content": NEW_TASK})
    return {"messages": messages, "tools": [{"type": "function", "function": {
        "name": "shell", "description": "Run a shell command",
        "parameters": {"type": "object", "properties": {"command": {"type": "string"}}}}}]}


def responses_loop(steps: int, new_task: bool = False) -> dict[str, Any]:
    items: list[dict[str, Any]] = [{"role": "user", "content": [{"type": "input_text", "text": CODE_TASK}]}]
    for step in range(steps):
        call_id = f"call_{step}"
        items.append({"type": "function_call", "call_id": call_id, "name": "shell", "arguments": _args(step)})
        items.append({"type": "function_call_output", "call_id": call_id, "output": TOOL_OUTPUTS[step % 10]})
    if new_task:
        items.append({"type": "message", "role": "user", "content": NEW_TASK})
    return {"instructions": "You are a helpful assistant with shell access.", "input": items,
            "tools": [{"type": "function", "name": "shell", "description": "Run a shell command",
                       "parameters": {"type": "object", "properties": {"command": {"type": "string"}}}}]}


def messages_loop(steps: int, new_task: bool = False) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": [
        {"type": "text", "text": REMINDER}, {"type": "text", "text": CODE_TASK}]}]
    for step in range(steps):
        use_id = f"toolu_{step}"
        messages.append({"role": "assistant", "content": [
            {"type": "text", "text": "Let me look."},
            {"type": "tool_use", "id": use_id, "name": "shell", "input": {"command": f"step {step}"}}]})
        # Claude Code style: the tool result comes back in a user message, with a reminder appended.
        messages.append({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": use_id, "content": TOOL_OUTPUTS[step % 10]},
            {"type": "text", "text": REMINDER}]})
    if new_task:
        messages.append({"role": "user", "content": NEW_TASK})
    return {"max_tokens": 16, "system": [{"type": "text", "text": "You are a coding agent.\n<env>cwd: /repo</env>"}],
            "messages": messages,
            "tools": [{"name": "shell", "description": "Run a shell command",
                       "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}]}


LOOPS = {"chat": chat_loop, "responses": responses_loop, "messages": messages_loop}


def loop_body(surface: Surface, steps: int, new_task: bool = False) -> dict[str, Any]:
    return LOOPS[surface](steps, new_task)
