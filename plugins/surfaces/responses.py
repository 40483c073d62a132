"""`/v1/responses`: `input` (a string or a list of items) plus `instructions`, tools and parameters.

Read: `input` as a string is one user turn; as a list, `message` items (with or without
`"type": "message"`) are turns by role (`system`/`developer` ones join `instructions` as the
system prompt) and their `input_text`/`output_text` parts count; images, files and audio are
skipped. Tool traffic (`function_call`, `function_call_output`, custom, shell, computer and MCP
calls, `reasoning`, `item_reference`, ...) is never read.

`previous_response_id` (docs/SURFACES.md): the stored conversation is not visible to the hook, so
the request is classified on its own `input`; when that input carries no user-typed text (only
tool results: an agent loop continuing a stored response), it stays on the model that produced
the previous response, whose deployment id LiteLLM encodes into the response ids it issues.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any, Final

from plugins.prompt import Prompt, PromptError
from plugins.surfaces import params
from plugins.surfaces.turns import Turn, assemble

ROLES: Final = frozenset({"user", "assistant", "system", "developer"})
# LiteLLM's own response ids: "resp_" + base64 of this (litellm/types/utils.py SpecialEnums
# LITELLM_MANAGED_RESPONSE_COMPLETE_STR, 1.108.7); its proxy decrypts the id the client holds into
# this form before the pre-call hooks run (proxy/hooks/responses_id_security.py).
_MODEL_ID_FIELD: Final = "model_id:"
TEXT_PARTS: Final = frozenset({"input_text", "output_text", "text"})


def read(body: Mapping[str, Any]) -> Prompt:
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise PromptError("`instructions` must be a string", "instructions")
    system = [instructions] if instructions else []
    value = body.get("input")
    if isinstance(value, str):
        return assemble([Turn("user", value)], system)
    if not isinstance(value, list) or not value:
        raise PromptError("`input` must be a string or a non-empty list of items", "input")
    turns: list[Turn] = []
    for index, item in enumerate(value):
        where = f"input[{index}]"
        if not isinstance(item, dict):
            raise PromptError(f"`{where}` must be an object", where)
        kind = item.get("type", "message")
        if not isinstance(kind, str):
            raise PromptError(f"`{where}.type` must be a string", f"{where}.type")
        if kind != "message":
            _tool_item(kind, item, where)
            continue
        role = item.get("role")
        if role not in ROLES:
            raise PromptError(f"`{where}.role` must be one of {', '.join(sorted(ROLES))}, "
                              f"not {params.shown(role)}", f"{where}.role")
        text = _content(item.get("content"), f"{where}.content")
        if role in ("system", "developer"):
            system.append(text)
        else:
            turns.append(Turn("user" if role == "user" else "assistant", text))
    return assemble(turns, system)


def continued_deployment(previous_response_id: Any) -> str | None:
    """The deployment id inside a LiteLLM-issued response id, None for any other id."""
    if not isinstance(previous_response_id, str) or not previous_response_id.startswith("resp_"):
        return None
    try:
        decoded = base64.b64decode(previous_response_id[5:], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not decoded.startswith("litellm:"):
        return None
    for part in decoded.split(";"):
        if part.startswith(_MODEL_ID_FIELD):
            return part[len(_MODEL_ID_FIELD):] or None
    return None


def _content(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise PromptError(f"`{where}` must be a string or a list of content parts", where)
    texts: list[str] = []
    for index, part in enumerate(content):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise PromptError(f"`{where}[{index}]` must be an object with a string `type`",
                              f"{where}[{index}]")
        if part["type"] in TEXT_PARTS:
            text = part.get("text")
            if not isinstance(text, str):
                raise PromptError(f"`{where}[{index}].text` must be a string", f"{where}[{index}].text")
            texts.append(text)
    return "\n".join(texts)


def _tool_item(kind: str, item: Mapping[str, Any], where: str) -> None:
    """Tool traffic is not read, but the fields the bridge to chat completions needs are checked."""
    if kind == "function_call":
        params.named(item, where, "call_id")
        params.named(item, where, "name")
        if not isinstance(item.get("arguments"), str):
            raise PromptError(f"`{where}.arguments` must be a string (JSON text)", f"{where}.arguments")
    elif kind == "function_call_output":
        params.named(item, where, "call_id")
        if not isinstance(item.get("output"), str | list):
            raise PromptError(f"`{where}.output` must be a string or a list of content parts",
                              f"{where}.output")


def validate(body: Mapping[str, Any]) -> None:
    params.integer(body, "max_output_tokens", 1)
    params.number(body, "temperature", 0, 2)
    params.number(body, "top_p", 0, 1)
    params.integer(body, "top_logprobs", 0, 20)
    params.boolean(body, "stream")
    params.boolean(body, "store")
    params.boolean(body, "background")
    params.boolean(body, "parallel_tool_calls")
    params.string(body, "previous_response_id")
    params.obj(body, "metadata")
    for index, tool in enumerate(params.items(body, "tools")):
        where = f"tools[{index}]"
        kind = tool.get("type")
        if not isinstance(kind, str):
            raise PromptError(f"`{where}.type` must be a string", f"{where}.type")
        if kind == "function":  # Responses tools are flat: {"type": "function", "name": ...}
            params.function_name(tool.get("name"), f"{where}.name")
            params.schema(tool, where)
