"""Maps a failed model call to one of the fixed `error_type` label values."""

from __future__ import annotations

from plugins.metrics import ErrorType

# LiteLLM's exception class names (litellm/exceptions.py, 1.108.7); matched by name so that
# `plugins` never imports litellm.
_BY_NAME: dict[str, ErrorType] = {
    "Timeout": "timeout",
    "APITimeoutError": "timeout",
    "TimeoutError": "timeout",
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


def error_type(exc: BaseException | None) -> ErrorType:
    if exc is None:
        return "other"
    for cls in type(exc).__mro__:
        if cls.__name__ in _BY_NAME:
            return _BY_NAME[cls.__name__]
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        if status == 429:
            return "rate_limit"
        if status >= 500:
            return "http_5xx"
        if status >= 400:
            return "http_4xx"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionError):
        return "connection"
    return "other"
