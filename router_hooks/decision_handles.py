"""Each routed response's decision stored under the id the client receives (issue 19).

Where LiteLLM 1.108.7 hands the bundle that id, once per client request on every surface (a bridged
Responses or Messages call included: the proxy-level hooks run once, unlike the logging callbacks,
which fire again for the inner chat completion):
- non-streamed: `async_post_call_success_hook(data, user, response)`, before the body is sent;
- streamed: `async_post_call_streaming_iterator_hook`, at the first chunk that carries the id (chat
  and completions chunks' `id`; Responses' `response.created` event; Messages' raw SSE
  `message_start` frame). The handle is stored before that chunk goes on, so a client can report
  on a response as soon as it holds its id.
On Responses, LiteLLM's responses_id_security hook encrypts the id, before or after this one
depending on callback order: the desk stores and looks up LiteLLM's decrypted form, so the client's
encrypted id and a plain one both find it. Failures are logged and counted as the bundle's own
(`agent_router_errors_total{error_type="classifier"}`), never raised into the response.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncGenerator, AsyncIterable, Mapping
from typing import Any, Final

from plugins.capture.writer import CaptureWriter
from plugins.feedback.desk import FeedbackDesk
from plugins.metrics.series import RouterMetrics
from plugins.prompt import Prompt
from plugins.record import RoutingRecord
from router_hooks.call_data import record_in, surface_in
from router_hooks.route_access import caller_of

logger = logging.getLogger(__name__)

# The message id in an Anthropic `message_start` SSE frame: `"message": {"id": "msg_..."`.
_SSE_MESSAGE_ID: Final = re.compile(rb'"message"\s*:\s*\{\s*"id"\s*:\s*"([^"\\]{1,1024})"')


def response_id(response: Any) -> str | None:
    value = response.get("id") if isinstance(response, Mapping) else getattr(response, "id", None)
    return value if isinstance(value, str) and value else None


def chunk_id(chunk: Any) -> str | None:
    """The response id a stream chunk carries, or None for chunks that carry none."""
    if isinstance(chunk, str):
        chunk = chunk.encode("utf-8", "replace")
    if isinstance(chunk, bytes | bytearray):
        if b"message_start" not in chunk:
            return None
        found = _SSE_MESSAGE_ID.search(chunk)
        return found.group(1).decode("utf-8", "replace") if found else None
    kind = chunk.get("type") if isinstance(chunk, Mapping) else getattr(chunk, "type", None)
    if isinstance(kind, str) and kind.startswith("response."):  # Responses events: only the response's id
        nested = chunk.get("response") if isinstance(chunk, Mapping) else getattr(chunk, "response", None)
        return response_id(nested) if nested is not None else None
    if kind == "message_start":
        message = chunk.get("message") if isinstance(chunk, Mapping) else getattr(chunk, "message", None)
        return response_id(message)
    return response_id(chunk)


class DecisionHandles:
    def __init__(self, desk: FeedbackDesk | None, metrics: RouterMetrics,
                 capture: CaptureWriter | None = None) -> None:
        self.desk = desk
        self.metrics = metrics
        #: Takes the decision's capture line under the same id (agent_router.capture).
        self.capture = capture

    async def after_response(self, data: Mapping[str, Any], user_api_key_dict: Any, response: Any,
                             prompt: Prompt | None = None) -> None:
        if self.desk is None and self.capture is None:
            return
        record = record_in(data)
        if record is not None:
            await self._store(data, user_api_key_dict, record, response_id(response), prompt)

    async def stream(self, user_api_key_dict: Any, response: AsyncIterable[Any], request_data: Mapping[str, Any],
                     prompt: Prompt | None = None) -> AsyncGenerator[Any, None]:
        wanted = self.desk is not None or self.capture is not None
        record = record_in(request_data) if wanted else None
        pending = record is not None
        async for chunk in response:
            if pending and record is not None:
                found = _safe_chunk_id(chunk)
                if found is not None:
                    pending = False
                    await self._store(request_data, user_api_key_dict, record, found, prompt)
            yield chunk

    async def _store(self, data: Mapping[str, Any], user_api_key_dict: Any, record: RoutingRecord,
                     found: str | None, prompt: Prompt | None) -> None:
        surface = surface_in(data)
        if found is None or surface is None:
            return
        try:
            stored_id = found
            if self.desk is not None:
                stored_id = await self.desk.record(found, surface, record, caller_of(user_api_key_dict))
            if self.capture is not None and prompt is not None:
                self.capture.decision(stored_id, surface, record, prompt)
        except Exception:
            logger.exception("agent-router: could not store the decision handle of a %s response", surface)
            self.metrics.error(record.routed_model, "classifier")


def _safe_chunk_id(chunk: Any) -> str | None:
    try:
        return chunk_id(chunk)
    except Exception:
        logger.exception("agent-router: could not read a stream chunk's response id")
        return None
