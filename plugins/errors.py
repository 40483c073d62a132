"""Failure classification, in one vocabulary: every failed model call or probe gets one `ErrorType`.

The same kinds label `agent_router_errors_total{error_type}`, the health state's `last_error` and the
probe outcomes, so a status code means the same thing on every path.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

ErrorType = Literal[
    "timeout", "connection", "http_5xx", "http_4xx", "rate_limit", "classifier", "other",
]
ERROR_TYPES: Final[tuple[ErrorType, ...]] = get_args(ErrorType)
# Failures that say something about the backend, not about the client's request: only these count
# against a model's health (a 400 caused by the request itself must not mark a model unhealthy).
BACKEND_ERRORS: Final[frozenset[ErrorType]] = frozenset({"timeout", "connection", "http_5xx"})

# LiteLLM's exception class names (litellm/exceptions.py), matched by name so that `plugins` never
# imports litellm; tests/test_litellm_contract.py checks every name exists in the installed LiteLLM.
LITELLM_EXCEPTIONS: Final[dict[str, ErrorType]] = {
    "Timeout": "timeout",
    "APIConnectionError": "connection",
    "ServiceUnavailableError": "http_5xx",
    "InternalServerError": "http_5xx",
    "BadGatewayError": "http_5xx",
    "RateLimitError": "rate_limit",
    "BadRequestError": "http_4xx",
    "NotFoundError": "http_4xx",
    "AuthenticationError": "http_4xx",
    "PermissionDeniedError": "http_4xx",
    "UnprocessableEntityError": "http_4xx",
    "ContextWindowExceededError": "http_4xx",
}
# The openai SDK's and the standard library's names for the same failures.
_OTHER_EXCEPTIONS: Final[dict[str, ErrorType]] = {"APITimeoutError": "timeout", "TimeoutError": "timeout"}
_BY_NAME: Final = {**_OTHER_EXCEPTIONS, **LITELLM_EXCEPTIONS}
# Transport failures found among an exception's causes. LiteLLM 1.108.7's OpenAI client wraps a
# refused connection as InternalServerError (status 500) whose causes are openai.APIConnectionError,
# httpx.ConnectError and ConnectionRefusedError: the cause says what really happened.
_TRANSPORT: Final[dict[str, ErrorType]] = {
    "APITimeoutError": "timeout", "TimeoutException": "timeout", "TimeoutError": "timeout",
    "APIConnectionError": "connection", "TransportError": "connection", "ConnectionError": "connection",
}
# How far down the __cause__/__context__ chain to look (LiteLLM's is 5-6 links deep).
_CHAIN_DEPTH: Final = 8


def status_error(status: int) -> ErrorType | None:
    """The kind of an HTTP status, None for success (below 400)."""
    if status == 429:
        return "rate_limit"
    if status >= 500:
        return "http_5xx"
    if status >= 400:
        return "http_4xx"
    return None


def error_type(exc: BaseException | None) -> ErrorType:
    """The kind of a failed call: by exception class (most specific first), then status code; a
    5xx or unknown failure caused by a timeout or a broken connection is that timeout or connection."""
    if exc is None:
        return "other"
    kind = _own_kind(exc)
    if kind in ("http_5xx", "other"):
        return _transport_cause(exc) or kind
    return kind


def _own_kind(exc: BaseException) -> ErrorType:
    for cls in type(exc).__mro__:
        if cls.__name__ in _BY_NAME:
            return _BY_NAME[cls.__name__]
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status_error(status) or "other"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionError):
        return "connection"
    return "other"


def _transport_cause(exc: BaseException) -> ErrorType | None:
    cause = exc.__cause__ or exc.__context__
    for _ in range(_CHAIN_DEPTH):
        if cause is None:
            return None
        # Timeouts first: openai's APITimeoutError is a subclass of its APIConnectionError.
        names = [cls.__name__ for cls in type(cause).__mro__]
        for name in names:
            if _TRANSPORT.get(name) == "timeout":
                return "timeout"
        for name in names:
            if name in _TRANSPORT:
                return _TRANSPORT[name]
        cause = cause.__cause__ or cause.__context__
    return None
