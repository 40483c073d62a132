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

# A backend's answer to the request itself (bad parameters, no such route or model, unprocessable):
# the same request fails the same way on every model of the chain. 429 (retry after) and context
# window or content policy errors (their own fallbacks) are not among them.
REQUEST_ERROR_STATUSES: Final = frozenset({400, 404, 422})
_OWN_HANDLING: Final = frozenset({"ContextWindowExceededError", "ContentPolicyViolationError"})

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
# LiteLLM 1.108.7 reports an exception its own code raises before sending (a `response_format`,
# `tools` or `prompt` the provider call cannot take, JSON nested too deep to encode) as an
# APIConnectionError or an InternalServerError, raised while handling it. A backend failure always
# has the HTTP or transport layer in that chain (seen: InternalServerError <- OpenAIError <-
# openai.APIConnectionError <- httpx.ConnectError for a refused connection); a chain without it is
# the request's failure, not the backend's. LiteLLM's own exceptions in the chain are no evidence: a
# retry runs while handling the first attempt's error (router.py async_function_with_retries).
_BACKEND_EVIDENCE: Final = frozenset({
    "APIStatusError", "HTTPStatusError", "APIConnectionError", "TransportError", "ClientError",
    "ConnectionError", "TimeoutError",
})
_CHAIN_LIMIT: Final = 16
# Among that evidence, what the wire itself says went wrong. LiteLLM's OpenAI client reports a
# refused connection as InternalServerError (status 500): the cause, not the 500, is the kind.
# Timeouts first: openai's APITimeoutError is a subclass of its APIConnectionError.
_WIRE_TIMEOUTS: Final = frozenset({"APITimeoutError", "TimeoutException", "TimeoutError"})
_WIRE_CONNECTION: Final = frozenset({"APIConnectionError", "TransportError", "ClientConnectionError",
                                     "ConnectionError"})


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
    """The kind of a failed call: by exception class (most specific first), then status code.

    For a backend-looking failure (or an unknown one) the exception's causes decide further: a
    timeout or a broken connection on the wire is that; LiteLLM's own error with nothing from the
    wire under it is the request's failure (`other`), and never counts against a model's health.
    """
    if exc is None:
        return "other"
    kind = _kind(exc)
    if kind not in BACKEND_ERRORS and kind != "other":
        return kind
    causes = _wire_causes(exc)
    if causes is None:  # no chain at all: nothing says otherwise, the class decides
        return kind
    names = {cls.__name__ for cause in causes for cls in type(cause).__mro__}
    if names & _WIRE_TIMEOUTS:
        return "timeout"
    if names & _WIRE_CONNECTION:
        return "connection"
    if kind in BACKEND_ERRORS and not names & _BACKEND_EVIDENCE:
        return "other"  # raised before sending
    return kind


def _kind(exc: BaseException) -> ErrorType:
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


def is_request_error(exc: BaseException) -> bool:
    """Whether a failed call was rejected for what the request asked, not for the backend's state."""
    if any(cls.__name__ in _OWN_HANDLING for cls in type(exc).__mro__):
        return False
    return getattr(exc, "status_code", None) in REQUEST_ERROR_STATUSES


def _wire_causes(exc: BaseException) -> list[BaseException] | None:
    """The exceptions under `exc` that are not LiteLLM's own (None: `exc` has no cause at all).

    LiteLLM's own exceptions are no evidence: a retry runs while handling the first attempt's error
    (router.py async_function_with_retries), so they chain whatever happened before.
    """
    seen: set[int] = set()
    found: list[BaseException] = []
    cause = exc.__cause__ or exc.__context__
    while cause is not None and id(cause) not in seen and len(seen) < _CHAIN_LIMIT:
        seen.add(id(cause))
        if type(cause).__module__.split(".", 1)[0] != "litellm":
            found.append(cause)
        cause = cause.__cause__ or cause.__context__
    return found if seen else None
