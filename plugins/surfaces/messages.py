"""`/v1/messages` (Anthropic format): `messages` of content blocks plus `system`, tools, parameters.

Read: `text` blocks of user messages are the user's typed text, of assistant messages context;
`tool_use`, `tool_result`, `thinking` and server-tool blocks are never read, images and documents
are skipped. So a user message that carries only `tool_result` blocks (the way Anthropic clients
return tool output) is not a new user turn. `system` is a string or a list of text blocks.
Parameter rules are Anthropic's: `max_tokens` is required, `temperature` is in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plugins.prompt import Prompt, PromptError
from plugins.surfaces import params
from plugins.surfaces.turns import Turn, assemble


def read(body: Mapping[str, Any]) -> Prompt:
    system = _system(body.get("system"))
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise PromptError("`messages` must be a non-empty list", "messages")
    turns: list[Turn] = []
    # Field paths for errors are only formatted when a check fails: agent conversations are long.
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise PromptError(f"`messages[{index}]` must be an object", f"messages[{index}]")
        role = message.get("role")
        if role != "user" and role != "assistant":
            raise PromptError(f"`messages[{index}].role` must be 'user' or 'assistant', not "
                              f"{params.shown(role)}", f"messages[{index}].role")
        turns.append(Turn(role, _blocks(message.get("content"), index)))
    return assemble(turns, system)


def _system(system: Any) -> list[str]:
    if system is None:
        return []
    if isinstance(system, str):
        return [system]
    if isinstance(system, list):
        return [_blocks(system, None)]
    raise PromptError("`system` must be a string or a list of text blocks", "system")


def _where(message: int | None, block: int | None = None, field: str = "") -> str:
    """The path of a field: `messages[i].content[j].field`, or `system[j]...` for `message=None`."""
    path = "system" if message is None else f"messages[{message}].content"
    if block is not None:
        path += f"[{block}]"
    return path + (f".{field}" if field else "")


def _blocks(content: Any, message: int | None) -> str:
    """The text of a content (`message=None`: the system prompt, which allows only text blocks)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise PromptError(f"`{_where(message)}` must be a string or a list of content blocks",
                          _where(message))
    texts: list[str] = []
    for index, block in enumerate(content):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "text":
            text = block.get("text")
            if not isinstance(text, str):
                raise _bad(message, index, "text", "must be a string")
            texts.append(text)
        elif not isinstance(kind, str):
            raise _bad(message, index, "", "must be an object with a string `type`")
        elif message is None:
            raise _bad(message, index, "type", f"must be 'text', not {params.shown(kind)}")
        elif kind == "tool_result":
            if not _named(block, "tool_use_id"):
                raise _bad(message, index, "tool_use_id", "must be a non-empty string")
            if not isinstance(block.get("content", ""), (str, list)):
                raise _bad(message, index, "content", "must be a string or a list of blocks")
        elif kind == "tool_use":
            for key in ("id", "name"):
                if not _named(block, key):
                    raise _bad(message, index, key, "must be a non-empty string")
            if not isinstance(block.get("input"), dict):
                raise _bad(message, index, "input", "must be an object")
    return "\n".join(texts)


def _named(block: dict[str, Any], key: str) -> bool:
    value = block.get(key)
    return isinstance(value, str) and bool(value)


def _bad(message: int | None, block: int, field: str, problem: str) -> PromptError:
    path = _where(message, block, field)
    return PromptError(f"`{path}` {problem}", path)


def validate(body: Mapping[str, Any]) -> None:
    params.require(body, "max_tokens")
    params.integer(body, "max_tokens", 1)
    params.number(body, "temperature", 0, 1)
    params.number(body, "top_p", 0, 1)
    params.integer(body, "top_k", 0)
    params.strings(body, "stop_sequences", 1024, allow_single=False)
    params.boolean(body, "stream")
    params.obj(body, "metadata")
    params.obj(body, "thinking")
    for index, tool in enumerate(params.items(body, "tools")):
        where = f"tools[{index}]"
        params.named(tool, where)
        # Server tools (`"type": "web_search_..."`) carry no schema; client tools must.
        if tool.get("type") in (None, "custom") and not isinstance(tool.get("input_schema"), dict):
            raise PromptError(f"`{where}.input_schema` must be a JSON Schema object",
                              f"{where}.input_schema")
