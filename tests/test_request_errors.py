"""A request's own 4xx: which errors count as one, and the latch that stops the later hops."""

from __future__ import annotations

from typing import Any

import httpx
import litellm
import pytest

from plugins.errors import is_request_error
from router_hooks import request_errors


def _error(cls: Any, **extra: Any) -> Exception:
    # LiteLLM's exception constructors take message/model/llm_provider (untyped for mypy).
    error: Exception = cls(message="x", model="m", llm_provider="openai", **extra)
    return error


@pytest.mark.parametrize(("exc", "expected"), [
    (_error(litellm.exceptions.BadRequestError), True),
    (_error(litellm.exceptions.NotFoundError), True),
    (_error(litellm.exceptions.UnprocessableEntityError,
            response=httpx.Response(422, request=httpx.Request("POST", "http://127.0.0.1/v1"))), True),
    (_error(litellm.exceptions.ContextWindowExceededError), False),  # context_window_fallbacks
    (_error(litellm.exceptions.ContentPolicyViolationError), False),
    (_error(litellm.exceptions.RateLimitError), False),  # retry after
    (_error(litellm.exceptions.InternalServerError), False),
    (_error(litellm.exceptions.AuthenticationError), False),
    (ValueError("x"), False),
])
def test_request_errors_are_the_backends_400_404_422_without_their_own_handling(exc: Exception,
                                                                                expected: bool) -> None:
    assert is_request_error(exc) is expected


def test_the_latch_stops_every_later_attempt_of_the_same_request_only() -> None:
    metadata: dict[str, Any] = {}
    request_errors.attach(metadata)
    first = {"metadata": metadata}
    hop = {"metadata": dict(metadata), "fallback_depth": 1}  # LiteLLM copies metadata per hop, shallowly
    other_request: dict[str, Any] = {"metadata": {}}
    request_errors.stop_if_rejected(hop)  # nothing noted yet
    request_errors.note(first, _error(litellm.exceptions.InternalServerError))
    request_errors.stop_if_rejected(hop)  # a backend failure keeps the chain
    not_found = _error(litellm.exceptions.NotFoundError)
    request_errors.note(first, not_found)
    with pytest.raises(litellm.exceptions.NotFoundError) as raised:
        request_errors.stop_if_rejected(hop)
    assert raised.value is not_found
    request_errors.stop_if_rejected(other_request)
