"""`/v1/messages` (Anthropic format): `messages` of content blocks plus `system`, tools, parameters.

Read: `text` blocks of user messages are the user's typed text, of assistant messages context;
`tool_use`, `tool_result`, `thinking` and server-tool blocks are never read, images and documents
are skipped. So a user message that carries only `tool_result` blocks (the way Anthropic clients
return tool output) is not a new user turn. `system` is a string or a list of text blocks.
Parameter rules are Anthropic's: `max_tokens` is required, `temperature` is in [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from plugins.prompt import Prompt, PromptError
from plugins.surfaces import params
from plugins.surfaces.turns import Turn, assemble

ROLES: Final = frozenset({"user", "assistant"})


def read(body: Mapping[str, Any]) -> Prompt:
    system = _system(body.get("system"))
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise PromptError("`messages` must be a non-empty list", "messages")
    turns: list[Turn] = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        if not isinstance(message, dict):
            raise PromptError(f"`{where}` must be an object", where)
        role = message.get("role")
        if role not in ROLES:
            raise PromptError(f"`{where}.role` must be 'user' or 'assistant', not {params.shown(role)}",
                              f"{where}.role")
        turns.append(Turn("user" if role == "user" else "assistant",
                          _blocks(message.get("content"), f"{where}.content")))
    return assemble(turns, system)


def _system(system: Any) -> list[str]:
    if system is None:
        return []
    if isinstance(system, str):
        return [system]
    if isinstance(system, list):
        return [_blocks(system, "system", only_text=True)]
    raise PromptError("`system` must be a string or a list of text blocks", "system")


def _blocks(content: Any, where: str, only_text: bool = False) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise PromptError(f"`{where}` must be a string or a list of content blocks", where)
    texts: list[str] = []
    for index, block in enumerate(content):
        at = f"{where}[{index}]"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            raise PromptError(f"`{at}` must be an object with a string `type`", at)
        kind = block["type"]
        if kind == "text":
            if not isinstance(block.get("text"), str):
                raise PromptError(f"`{at}.text` must be a string", f"{at}.text")
            texts.append(block["text"])
        elif only_text:
            raise PromptError(f"`{at}.type` must be 'text', not {params.shown(kind)}", f"{at}.type")
        elif kind == "tool_use":
            params.named(block, at, "id")
            params.named(block, at, "name")
            if not isinstance(block.get("input"), dict):
                raise PromptError(f"`{at}.input` must be an object", f"{at}.input")
        elif kind == "tool_result":
            params.named(block, at, "tool_use_id")
            if not isinstance(block.get("content", ""), str | list):
                raise PromptError(f"`{at}.content` must be a string or a list of blocks", f"{at}.content")
    return "\n".join(texts)


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
