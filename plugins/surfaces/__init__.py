"""One prompt reader per API surface, all giving the classifier the same `Prompt` view.

`validate(surface, body)` checks the surface's parameters (types and ranges) and `read(surface,
body)` its conversation; both raise `PromptError` naming the bad field, which the hook answers
with a 400 before any backend is called. The reading rule they share is in `turns`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, get_args

from plugins.prompt import Prompt, PromptError
from plugins.surfaces import chat, completions, messages, responses

Surface = Literal["chat", "responses", "messages", "completions"]
SURFACES: Final[tuple[Surface, ...]] = get_args(Surface)

_Reader = Callable[[Mapping[str, Any]], Prompt]
_Validator = Callable[[Mapping[str, Any]], None]
_READERS: Final[dict[Surface, tuple[_Reader, _Validator]]] = {
    "chat": (chat.read, chat.validate),
    "responses": (responses.read, responses.validate),
    "messages": (messages.read, messages.validate),
    "completions": (completions.read, completions.validate),
}
# LiteLLM's call types (the sync and async names) per surface; /v1/messages has only the one.
CALL_TYPES: Final[dict[str, Surface]] = {
    "completion": "chat", "acompletion": "chat",
    "responses": "responses", "aresponses": "responses",
    "anthropic_messages": "messages",
    "text_completion": "completions", "atext_completion": "completions",
}

# The call type the proxy passes the pre-call hook for each surface at run time.
PROXY_CALL_TYPE: Final[dict[Surface, str]] = {
    "chat": "acompletion", "responses": "aresponses",
    "messages": "anthropic_messages", "completions": "atext_completion",
}


def surface_of(call_type: Any) -> Surface | None:
    """The surface of a LiteLLM call type (its enum or its string), None for other calls."""
    return CALL_TYPES.get(str(getattr(call_type, "value", call_type)))


def validate(surface: Surface, body: Any) -> None:
    if not isinstance(body, dict):
        raise PromptError("the request body must be a JSON object")
    _READERS[surface][1](body)


def read(surface: Surface, body: Any) -> Prompt:
    if not isinstance(body, dict):
        raise PromptError("the request body must be a JSON object")
    return _READERS[surface][0](body)


__all__ = ["PROXY_CALL_TYPE", "SURFACES", "Prompt", "PromptError", "Surface", "read", "surface_of", "validate"]
