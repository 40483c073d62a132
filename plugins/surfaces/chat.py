"""`/v1/chat/completions`: `messages` (string or text-part content), roles, tools and parameters.

Read: user text decides, assistant text is context, `system`/`developer` messages are the system
prompt; `tool` (and legacy `function`) messages and assistant `tool_calls` are never read
(`plugins.surfaces.turns`). Content given as parts counts its `text` parts; images, audio and
files are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from plugins.prompt import Prompt, PromptError
from plugins.surfaces import params
from plugins.surfaces.turns import Turn, assemble

ROLES: Final = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
SYSTEM_ROLES: Final = frozenset({"system", "developer"})


def read(body: Mapping[str, Any]) -> Prompt:
    return read_messages(body.get("messages"))


def read_messages(messages: Any) -> Prompt:
    """The classifier's view of a chat conversation; PromptError when it is not one."""
    if not isinstance(messages, list) or not messages:
        raise PromptError("`messages` must be a non-empty list", "messages")
    system: list[str] = []
    turns: list[Turn] = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise PromptError(f"`{where}` must be an object with a string `role`", where)
        role = message["role"]
        if role not in ROLES:
            raise PromptError(f"`{where}.role` must be one of {', '.join(sorted(ROLES))}, "
                              f"not {params.shown(role)}", f"{where}.role")
        if role in ("tool", "function"):
            _content(message.get("content"), f"{where}.content", read=False)
            continue
        text = _content(message.get("content"), f"{where}.content")
        if role in SYSTEM_ROLES:
            system.append(text)
        elif role == "user":
            turns.append(Turn("user", text))
        else:
            _tool_calls(message.get("tool_calls"), f"{where}.tool_calls")
            turns.append(Turn("assistant", text))
    return assemble(turns, system)


def _content(content: Any, where: str, read: bool = True) -> str:
    """The text of a message's content: a string, or its `text` parts (others skipped)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise PromptError(f"`{where}` must be a string or a list of parts, not "
                          f"{type(content).__name__}", where)
    texts: list[str] = []
    for index, part in enumerate(content):
        if not isinstance(part, dict) or not isinstance(part.get("type", "text"), str):
            raise PromptError(f"`{where}[{index}]` must be an object with a string `type`",
                              f"{where}[{index}]")
        if part.get("type", "text") == "text":
            text = part.get("text")
            if not isinstance(text, str):
                raise PromptError(f"`{where}[{index}].text` must be a string", f"{where}[{index}].text")
            if read:
                texts.append(text)
    return "\n".join(texts)


def _tool_calls(calls: Any, where: str) -> None:
    if calls is None:
        return
    if not isinstance(calls, list):
        raise PromptError(f"`{where}` must be a list", where)
    for index, call in enumerate(calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            raise PromptError(f"`{where}[{index}]` must be an object with a `function` object",
                              f"{where}[{index}]")
        params.named(function, f"{where}[{index}].function")


def validate(body: Mapping[str, Any]) -> None:
    """OpenAI's parameter types and ranges (the ones a backend would otherwise reject)."""
    params.integer(body, "max_tokens", 1)
    params.integer(body, "max_completion_tokens", 1)
    params.number(body, "temperature", 0, 2)
    params.number(body, "top_p", 0, 1)
    params.integer(body, "n", 1, 128)
    params.strings(body, "stop", 4)
    params.boolean(body, "stream")
    params.number(body, "presence_penalty", -2, 2)
    params.number(body, "frequency_penalty", -2, 2)
    params.integer(body, "top_logprobs", 0, 20)
    params.boolean(body, "logprobs")
    params.boolean(body, "parallel_tool_calls")
    params.obj(body, "stream_options")
    params.response_format(body)
    function_tools(body, "tools")


def function_tools(body: Mapping[str, Any], name: str) -> None:
    """Chat-style tools: `{"type": "function", "function": {"name": ..., "parameters": {...}}}`."""
    for index, tool in enumerate(params.items(body, name)):
        where = f"{name}[{index}]"
        kind = tool.get("type", "function")
        if kind == "custom":  # free-form tools (OpenAI's newer `custom` type): nothing to check here
            continue
        if kind != "function":
            raise PromptError(f"`{where}.type` must be 'function' or 'custom', not {params.shown(tool.get('type'))}",
                              f"{where}.type")
        function = tool.get("function")
        if not isinstance(function, dict):
            raise PromptError(f"`{where}.function` must be an object", f"{where}.function")
        params.function_name(function.get("name"), f"{where}.function.name")
        params.schema(function, f"{where}.function")

