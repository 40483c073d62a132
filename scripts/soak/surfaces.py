"""The routed API surfaces the soak sends to: request bodies and what counts as a good answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

VIRTUAL_MODEL = "agent-router"


@dataclass(frozen=True)
class Surface:
    name: str
    path: str
    body: Callable[[str], dict[str, Any]]
    stream: bool = False


def _chat(prompt: str) -> dict[str, Any]:
    return {"model": VIRTUAL_MODEL, "max_tokens": 8, "messages": [{"role": "user", "content": prompt}]}


SURFACES: dict[str, Surface] = {
    s.name: s
    for s in (
        Surface("chat", "/v1/chat/completions", _chat),
        Surface("chat-stream", "/v1/chat/completions", lambda p: {**_chat(p), "stream": True}, stream=True),
        Surface("responses", "/v1/responses",
                lambda p: {"model": VIRTUAL_MODEL, "input": p, "max_output_tokens": 16}),
        Surface("messages", "/v1/messages", _chat),
        Surface("completions", "/v1/completions",
                lambda p: {"model": VIRTUAL_MODEL, "prompt": p, "max_tokens": 8}),
    )
}
# Always sent; the others join when they answer 200 in the preflight (`--surfaces auto`).
CORE = ("chat", "chat-stream")


def good_stream(body: bytes) -> bool:
    """A complete SSE answer: it ends with [DONE] and no event carried an error."""
    text = body.decode("utf-8", errors="replace")
    events = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
    return bool(events) and events[-1] == "[DONE]" and not any(e.startswith('{"error"') for e in events)
