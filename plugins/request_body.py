"""The routed surfaces' request bodies: which paths they are, and the one shape LiteLLM can take.

Measured with LiteLLM 1.108.7: a JSON body that is not an object (`[]`, `3`, `"x"`, `null`) makes
its auth code crash (`request_data.get` on a list, auth_exception_handler.py) and answer 500, and
`NaN`/`Infinity` pass its lenient fallback parser (`json.loads` in http_parsing_utils.py
read_request_body) only to fail serialisation towards the backend, which then counts as a 5xx against
every model of the fallback chain. So a body must be strict JSON and an object before LiteLLM sees it.
"""

from __future__ import annotations

import json
import re
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
# Bodies LiteLLM parses as forms, not JSON: they never reach the JSON parser this check mirrors.
FORM_TYPES: Final = ("application/x-www-form-urlencoded", "multipart/form-data")


def surface_of(path: str) -> Surface | None:
    """The surface a POST to `path` reaches, or None for every other route."""
    match = _ROUTES.match(path)
    return _SURFACES[match.group(1)] if match else None


def body_problem(body: bytes) -> str | None:
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
    return None


def error_body(surface: Surface, message: str) -> bytes:
    """A 400 body in the error format of the surface called."""
    text = f"agent-router: {message}"
    if surface == "messages":  # Anthropic's format
        return json.dumps({"type": "error", "error": {"type": "invalid_request_error", "message": text}}).encode()
    return json.dumps({"error": {"message": text, "type": "invalid_request_error", "param": None,
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
