"""The errors the hook answers a client with, in the error format of the API the client called."""

from __future__ import annotations

from fastapi import HTTPException
from litellm.proxy._types import ProxyException

from plugins.prompt import PromptError
from plugins.request_size import SURFACE_FIELDS
from plugins.surfaces import Surface


def unknown_key_without_database(exc: Exception) -> HTTPException | None:
    """A key other than the master key, on a proxy with no key database, is a wrong key: 401.

    LiteLLM 1.108.7 answers such a request with 400 "No connected db." (user_api_key_auth.py);
    with no database there are no virtual keys, so the key cannot be valid.
    """
    if getattr(exc, "type", None) != "no_db_connection":
        return None
    return HTTPException(
        status_code=401,
        detail="Authentication Error: invalid API key (this proxy has no key database; "
        "only its master key is accepted)",
    )


def bad_request(exc: PromptError, surface: Surface | None) -> Exception:
    return invalid_request(f"agent-router: {exc}", exc.param, surface)


def invalid_request(message: str, param: str | None, surface: Surface | None,
                    code: str | None = None) -> Exception:
    """The one builder of a 400 for the client's request, in the error format of the API called.

    LiteLLM 1.108.7 renders a ProxyException raised by the pre-call hook OpenAI-style with its
    `param`, and Anthropic-style on /v1/messages; its body's `code` is the status, so an OpenAI
    error `code` of our own (`context_length_exceeded`, which agent harnesses look for to compact
    the conversation) goes through an HTTPException on the OpenAI surfaces.
    """
    if code is None or surface == "messages":
        return ProxyException(message=message, type="invalid_request_error", param=param, code=400)
    return HTTPException(status_code=400, detail={"error": {
        "message": message, "type": "invalid_request_error", "param": param, "code": code}})


def prompt_field(call_type: str) -> str | None:
    fields = SURFACE_FIELDS.get(call_type)
    return fields[0] if fields else None


def no_allowed_model(surface: Surface | None) -> Exception:
    """403 before any backend call: the caller's key and team leave no routed model to serve it.

    The same type LiteLLM 1.108.7 gives a key refused a model (`key_model_access_denied`);
    rendered Anthropic-style on /v1/messages like every ProxyException."""
    return ProxyException(message="agent-router: this key (or its team) may use none of the models the "
                                  "router sends requests to", type="key_model_access_denied",
                          param="model", code=403)
