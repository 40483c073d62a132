"""The failure vocabulary: LiteLLM's exceptions, status codes and probe outcomes map to one ErrorType."""

from __future__ import annotations

import litellm
import pytest

from plugins.errors import BACKEND_ERRORS, ERROR_TYPES, LITELLM_EXCEPTIONS, error_type, status_error


@pytest.mark.parametrize("name", sorted(LITELLM_EXCEPTIONS))
def test_every_named_litellm_exception_exists_in_the_installed_litellm(name: str) -> None:
    cls = getattr(litellm.exceptions, name, None)
    assert isinstance(cls, type) and issubclass(cls, BaseException), name


def test_litellm_exceptions_map_by_class() -> None:
    connection = litellm.exceptions.APIConnectionError(message="refused", llm_provider="openai", model="m")
    assert error_type(connection) == "connection"
    timeout = litellm.exceptions.Timeout(message="slow", model="m", llm_provider="openai")
    assert error_type(timeout) == "timeout"
    # A context-window error is a BadRequestError subclass: the request, not the backend.
    window = litellm.exceptions.ContextWindowExceededError(message="long", model="m", llm_provider="openai")
    assert error_type(window) == "http_4xx" and "http_4xx" not in BACKEND_ERRORS


@pytest.mark.parametrize(("status", "kind"), [
    (200, None), (302, None), (400, "http_4xx"), (404, "http_4xx"), (429, "rate_limit"),
    (500, "http_5xx"), (503, "http_5xx"),
])
def test_status_codes(status: int, kind: str | None) -> None:
    assert status_error(status) == kind


class UpstreamFailure(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(status_code)
        self.status_code = status_code


def test_unknown_exceptions_fall_back_to_status_then_builtin_kind() -> None:
    assert error_type(UpstreamFailure(502)) == "http_5xx"
    assert error_type(ConnectionResetError()) == "connection"
    assert error_type(TimeoutError()) == "timeout"
    assert error_type(ValueError()) == "other"
    assert error_type(None) == "other"
    assert set(BACKEND_ERRORS) <= set(ERROR_TYPES)


def test_a_refused_connection_wrapped_as_a_500_is_a_connection_failure() -> None:
    # What LiteLLM 1.108.7 raises for a backend whose port is closed (measured: acompletion against
    # 127.0.0.1:9): InternalServerError(500) <- OpenAIError(500) <- openai.APIConnectionError <-
    # httpx.ConnectError <- ConnectionRefusedError.
    import asyncio

    async def call() -> None:
        await litellm.acompletion(model="openai/x", api_base="http://127.0.0.1:9/v1", api_key="none",
                                  messages=[{"role": "user", "content": "hi"}], num_retries=0, max_retries=0)

    with pytest.raises(litellm.exceptions.InternalServerError) as info:
        asyncio.run(call())
    assert error_type(info.value) == "connection"


class APIStatusError(Exception):
    """Named like the openai SDK's HTTP status error: evidence that the backend answered."""


def _raised_from(cause: BaseException) -> UpstreamFailure:
    try:
        try:
            raise cause
        except type(cause) as inner:
            raise UpstreamFailure(500) from inner
    except UpstreamFailure as exc:
        return exc


def test_a_500_the_backend_answered_stays_http_5xx() -> None:
    assert error_type(_raised_from(APIStatusError("500 from upstream"))) == "http_5xx"


def test_a_500_raised_before_anything_was_sent_is_the_requests_failure() -> None:
    assert error_type(_raised_from(ValueError("cannot encode the request"))) == "other"
