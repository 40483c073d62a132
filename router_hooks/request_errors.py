"""A request's own 4xx stops its fallback walk before any further backend call.

LiteLLM 1.108.7 walks the fallback chain for a backend's 404 (NotFoundError; its
`fallback_on_unsupported_params: false` covers only 400s), sending the same request to every model.
The deployment-failure hook cannot stop that (LiteLLM passes it a copy of the exception and swallows
what it raises, utils.py async_post_call_failure_deployment_hook), but the pre-call deployment hook
runs before each hop's call and what it raises fails that hop: so the failure hook notes the request
error in a latch carried by the request metadata (the router copies metadata shallowly per hop, so
every hop sees the same latch), and each later hop re-raises it without calling its backend. The
router then answers the client with the primary's own error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plugins.errors import is_request_error

LATCH_KEY = "agent_router_request_error"
_METADATA_KEYS = ("metadata", "litellm_metadata")


class RequestErrorLatch:
    """Mutable on purpose: shared by every attempt of one request."""

    __slots__ = ("error",)

    def __init__(self) -> None:
        self.error: Exception | None = None


def attach(metadata: dict[str, Any]) -> None:
    metadata[LATCH_KEY] = RequestErrorLatch()


def _latch(container: Mapping[str, Any]) -> RequestErrorLatch | None:
    for key in _METADATA_KEYS:
        metadata = container.get(key)
        latch = metadata.get(LATCH_KEY) if isinstance(metadata, Mapping) else None
        if isinstance(latch, RequestErrorLatch):
            return latch
    return None


def note(request_data: Mapping[str, Any], exception: Exception) -> None:
    """After a failed attempt: remember a request error for the hops still to come."""
    latch = _latch(request_data)
    if latch is not None and latch.error is None and is_request_error(exception):
        latch.error = exception


def stop_if_rejected(kwargs: Mapping[str, Any]) -> None:
    """Before an attempt: a request the backend already rejected is not sent again."""
    latch = _latch(kwargs)
    if latch is not None and latch.error is not None:
        raise latch.error
