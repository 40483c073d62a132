"""`agent_router.metadata_in_body`: the `x-routing-metadata` object also in the response body, for
SDKs that hide headers (issue 19). Off by default.

Where it goes, per surface: a top-level `routing_metadata` field of every non-streamed body; on
streams, one event each: chat and completions, the chunk that carries `finish_reason`; Responses,
the event that ends the stream (`response.completed`, or `response.incomplete` / `response.failed`
when it ends that way); Messages, the `message_delta` event (a raw SSE frame in LiteLLM
1.108.7, rewritten in place). LiteLLM's response models allow extra fields (pydantic `extra="allow"`),
which it serialises with the rest. A failure leaves the body as it was.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterable, Mapping
from typing import Any, Final

from plugins.record import HEADER
from router_hooks.callbacks import Outcomes

logger = logging.getLogger(__name__)

FIELD: Final = "routing_metadata"
# The events that end a Responses stream (one of them, whichever it ends with), and Messages' last delta.
TERMINAL_EVENTS: Final = frozenset({"response.completed", "response.incomplete", "response.failed", "message_delta"})


class BodyMetadata:
    def __init__(self, outcomes: Outcomes) -> None:
        self._outcomes = outcomes

    def value(self, data: Mapping[str, Any], carrier: Any) -> dict[str, Any] | None:
        """The header's object for this request; `carrier` (response or chunk) may name the served deployment."""
        hidden = getattr(carrier, "_hidden_params", None)
        model_id = hidden.get("model_id") if isinstance(hidden, Mapping) else None
        headers = self._outcomes.headers(data, {"model_id": model_id} if model_id else {})
        raw = (headers or {}).get(HEADER)
        return json.loads(raw) if raw else None

    def on_response(self, data: Mapping[str, Any], response: Any) -> None:
        try:
            value = self.value(data, response)
            if value is not None:
                _attach(response, value)
        except Exception:
            logger.exception("agent-router: could not put %s in the response body", FIELD)

    async def stream(self, chunks: AsyncIterable[Any], data: Mapping[str, Any]) -> AsyncGenerator[Any, None]:
        pending = True
        async for chunk in chunks:
            if pending:
                try:
                    if _is_final(chunk):
                        value = self.value(data, chunk)
                        if value is not None:
                            chunk = _with_sse_field(chunk, value) if isinstance(chunk, bytes) else _attach(chunk, value)
                            pending = False
                except Exception:
                    logger.exception("agent-router: could not put %s in a stream event", FIELD)
                    pending = False
            yield chunk


def _attach(target: Any, value: dict[str, Any]) -> Any:
    if isinstance(target, dict):
        target[FIELD] = value
        return target
    setattr(target, FIELD, value)
    if getattr(target, "object", None) == "chat.completion.chunk" and target.provider_specific_fields is None:
        # LiteLLM 1.108.7 writes plain chat chunks with a fast serializer that knows only the standard
        # fields (proxy_server.py _fast_serialize_simple_model_response_stream); a chunk with
        # provider_specific_fields set goes through pydantic, which writes extra fields too.
        target.provider_specific_fields = {}
    return target


def _is_final(chunk: Any) -> bool:
    if isinstance(chunk, bytes):
        return b'"message_delta"' in chunk
    kind = chunk.get("type") if isinstance(chunk, Mapping) else getattr(chunk, "type", None)
    kind = getattr(kind, "value", kind)
    if kind in TERMINAL_EVENTS:
        return True
    choices = chunk.get("choices") if isinstance(chunk, Mapping) else getattr(chunk, "choices", None)
    if not choices:
        return False
    first = choices[0]
    reason = first.get("finish_reason") if isinstance(first, Mapping) else getattr(first, "finish_reason", None)
    return bool(reason)


def _with_sse_field(chunk: bytes, value: dict[str, Any]) -> bytes:
    """The `message_delta` frame's JSON with the field added; other frames in the chunk untouched."""
    lines = chunk.split(b"\n")
    for i, line in enumerate(lines):
        if line.startswith(b"data:") and b'"message_delta"' in line:
            event = json.loads(line[5:])
            if isinstance(event, dict) and event.get("type") == "message_delta":
                event[FIELD] = value
                lines[i] = b"data: " + json.dumps(event, separators=(",", ":")).encode("utf-8")
    return b"\n".join(lines)
