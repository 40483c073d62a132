"""The routed surfaces' requests: which paths they are, and the body and headers LiteLLM can take.

Measured with LiteLLM 1.108.7: a JSON body that is not an object (`[]`, `3`, `"x"`, `null`) makes
its auth code crash (`request_data.get` on a list, auth_exception_handler.py) and answer 500, and
`NaN`/`Infinity` pass its lenient fallback parser (`json.loads` in http_parsing_utils.py
read_request_body) only to fail serialisation towards the backend, which then counts as a 5xx against
every model of the fallback chain. So a body must be strict JSON and an object before LiteLLM sees it.
A `metadata` that is not an object crashes it too.
On /v1/messages, `messages`, `tools`, `tool_choice` or `system` of the wrong shape fail inside its
Anthropic adapters (500, "'list' object is not a mapping", "'int' object has no attribute 'get'").
On /v1/completions a `prompt` that is not text or token ids fails in LiteLLM's prompt conversion
before any call, reported as an APIConnectionError ("Unmapped prompt format"): retried, walked down
the chain, answered 500, and counted as a connection failure against every model; so do chat-only
parameters there, and JSON nested deeper than the backend call can encode.
A `stream` that is truthy but not `true` (`1`, `"yes"`) makes LiteLLM return a stream where the
completions path expects a response (500, "'async_generator' object has no attribute 'get'").
Its per-request control headers are read with a bare `float()`/`int()` (litellm_pre_call_utils.py
LiteLLMProxyRequestSetup): a value that is not a number answers 500, so those are checked too.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Final, Literal

import orjson

Surface = Literal["chat", "responses", "messages", "completions"]

# LiteLLM's own routes for the four surfaces (with and without /v1, and the Azure-style aliases).
_ROUTES: Final = re.compile(
    r"^(?:/v1|/openai/deployments/[^/]+|/engines/[^/]+)?/(chat/completions|completions|responses|messages)/?$"
)
_SURFACES: Final[dict[str, Surface]] = {
    "chat/completions": "chat", "completions": "completions", "responses": "responses", "messages": "messages",
}
# LiteLLM indexes these as dicts on every surface (a list answers 500 "list indices must be integers").
METADATA_KEYS: Final = ("metadata", "litellm_metadata")
# Chat parameters the completions call cannot take: LiteLLM 1.108.7 passes them on as keyword
# arguments (text_completion: `messages` twice; the SDK's completions.create: "unexpected keyword
# argument 'tools'") and the TypeError comes back as a 500 that cools every deployment down.
CHAT_ONLY: Final = frozenset({"messages", "tools", "tool_choice", "response_format", "functions", "function_call"})
# Encoding the request for the backend recurses per level (json.dumps in the SDK: "maximum recursion
# depth exceeded" at ~1,000 with LiteLLM's stack); orjson parses up to 1,024. No request needs more.
MAX_DEPTH: Final = 256
# Bodies LiteLLM parses as forms, not JSON: they never reach the JSON parser this check mirrors.
FORM_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")


# LiteLLM's numeric per-request headers -> whether the value must be a whole number.
NUMERIC_HEADERS: Final[dict[str, bool]] = {
    "x-litellm-timeout": False, "x-litellm-stream-timeout": False, "x-litellm-keepalive-seconds": False,
    "x-litellm-num-retries": True,
}


def surface_of(path: str) -> Surface | None:
    """The surface a POST to `path` reaches, or None for every other route."""
    match = _ROUTES.match(path)
    return _SURFACES[match.group(1)] if match else None


def body_problem(body: bytes, surface: Surface = "chat") -> str | None:
    """Why LiteLLM must not get `body`, or None when it is a JSON object (or empty).

    An empty body is left to LiteLLM: it reads it as `{}` and names the missing parameter.
    orjson is strict where it matters here: no NaN/Infinity, valid UTF-8, nesting at most 1024 deep.
    """
    if not body.strip():
        return None
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return f"the request body is not valid JSON ({exc})"
    if not isinstance(value, dict):
        return f"the request body must be a JSON object, not {_kind(value)}"
    for key in METADATA_KEYS:
        if value.get(key) is not None and not isinstance(value[key], dict):
            return f"{key} must be an object"
    if surface == "messages" and (problem := _anthropic_problem(value)) is not None:
        return problem  # and a valid Messages body still gets the checks below (depth, stream)
    if surface == "chat" and isinstance(value.get("messages"), list):
        for message in value["messages"]:
            # LiteLLM's role conversions index `content` (KeyError 'content' -> 500 for a bare
            # developer message); only an assistant turn may leave it out (tool calls instead)
            if isinstance(message, dict) and message.get("role") != "assistant" and "content" not in message:
                return f"a {message.get('role')!s} message needs content"
    stream = value.get("stream")
    if stream is not None and not isinstance(stream, bool):  # `1` streams on some paths, not on others
        return "stream must be true or false"
    if _depth(value) > MAX_DEPTH:
        return f"the request body is nested more than {MAX_DEPTH} levels deep"
    if surface == "completions" and (chat_only := sorted(CHAT_ONLY & value.keys())):
        return f"{chat_only[0]} is not a parameter of /v1/completions (it belongs to /v1/chat/completions)"
    if surface == "completions" and "prompt" in value and not _is_prompt(value["prompt"]):
        return "`prompt` must be a string, an array of strings, or token ids (an array of integers or of arrays)"
    return None


def _anthropic_problem(body: dict[str, object]) -> str | None:
    """The Messages shapes LiteLLM's Anthropic adapters index without checking (500 otherwise)."""
    messages = body.get("messages", [])
    if not isinstance(messages, list) or not _is_objects(messages):
        return "messages must be an array of message objects"
    if any("role" not in m or "content" not in m for m in messages):
        return "every message needs a role and content"  # KeyError 'role' -> 500 otherwise
    if body.get("tools") is not None and not _is_objects(body["tools"]):
        return "tools must be an array of tool objects"
    if body.get("tool_choice") is not None and not isinstance(body["tool_choice"], dict):
        return "tool_choice must be an object such as {\"type\": \"auto\"}"
    system = body.get("system")
    if system is not None and not isinstance(system, str) and not _is_objects(system):
        return "system must be a string or an array of content blocks"
    return None


def _depth(value: object) -> int:
    """Nesting depth of parsed JSON, without recursion (a deep body must not exhaust our stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _is_objects(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)


def _is_prompt(value: object) -> bool:
    """OpenAI's completions prompt: str | list[str] | list[int] | list[list[int]]."""
    if isinstance(value, str):
        return True
    if not isinstance(value, list) or not value:
        return False
    if all(isinstance(v, str) for v in value):
        return True
    return _token_ids(value) or all(isinstance(v, list) and v and _token_ids(v) for v in value)


def _token_ids(values: list[object]) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def header_problem(headers: Mapping[str, str]) -> str | None:
    """Why LiteLLM must not get these headers (lower-case names), or None."""
    for name, whole in NUMERIC_HEADERS.items():
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = int(raw) if whole else float(raw)
        except ValueError:
            value = -1
        if not math.isfinite(value) or value < 0:
            kind = "a whole number" if whole else "a number of seconds"
            return f"the {name} header must be {kind}, at least 0"
    return None


# The body parameters a problem can name: the OpenAI error's `param` is the first word of the
# problem when it is one of them ("`prompt` must be a string, ..." -> "prompt").
NAMED_PARAMS: Final = frozenset({"prompt", "stream", "messages", "tools", "tool_choice", "system",
                                 *METADATA_KEYS, *CHAT_ONLY})


def error_body(surface: Surface, message: str) -> bytes:
    """A 400 body in the error format of the surface called."""
    text = f"agent-router: {message}"
    if surface == "messages":  # Anthropic's format
        return json.dumps({"type": "error", "error": {"type": "invalid_request_error", "message": text}}).encode()
    first = message.split(" ", 1)[0].strip("`")
    param = first if first in NAMED_PARAMS else None
    return json.dumps({"error": {"message": text, "type": "invalid_request_error", "param": param,
                                 "code": "400"}}).encode()


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return "a number"
