"""`POST /router/classify`: the routing decision for a request body, without calling a model.

The operator's answer to "why did this go there?": the body of any surface is read, validated
and classified exactly as the pre-call hook would, and the model it would go to (health reroute
included) comes back with the reason. Nothing is counted in the metrics.

Request: `{"surface": "chat" | "responses" | "messages" | "completions", "body": {...}}`
(`surface` defaults to "chat"). Bad input: 400, OpenAI-style, naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from litellm.proxy._types import ProxyException

from plugins.prompt import Prompt, PromptError
from plugins.record import RoutingRecord
from plugins.surfaces import PROXY_CALL_TYPE, SURFACES, read, validate
from router_hooks.continuation import CONTINUATION
from router_hooks.hook import AgentRouterHook

CLASSIFY_PATH: Final = "/router/classify"
# How much of the deciding turn is shown back (the caller sent it; it is never logged).
EXCERPT_CHARS: Final = 200


async def classify(hook: AgentRouterHook, request: Request) -> JSONResponse:
    try:
        envelope = await request.json()
    except ValueError:
        return _error("the request body must be JSON", None)
    if not isinstance(envelope, Mapping):
        return _error("the request body must be a JSON object", None)
    surface = envelope.get("surface", "chat")
    if surface not in SURFACES:
        return _error(f"`surface` must be one of {', '.join(SURFACES)}", "surface")
    body = envelope.get("body")
    try:
        if not isinstance(body, Mapping):
            raise PromptError("`body` must be the request body of the surface, a JSON object", "body")
        validate(surface, body)
        prompt = read(surface, body)
    except PromptError as exc:
        return _error(f"agent-router: {exc}", exc.param)
    try:
        record = await hook.route(prompt, count=False, request=body, call_type=PROXY_CALL_TYPE[surface])
    except (HTTPException, ProxyException) as exc:  # no model's window takes it: the hook's 400
        return _error(_message(exc), _param(exc))
    routed = hook.is_routed(body.get("model", hook.config.virtual_model))
    return JSONResponse(decision_json(hook, surface, prompt, record, routed))


def decision_json(hook: AgentRouterHook, surface: str, prompt: Prompt, record: RoutingRecord,
                  routed: bool) -> dict[str, Any]:
    return {
        "surface": surface,
        "routed": routed,
        "intent": record.intent,
        "confidence": record.confidence,
        "confidence_level": record.level,
        "top_intents": [{"intent": i, "score": s} for i, s in record.top],
        "margin": record.margin,
        # Which classifier decided: the configured one, or the fast one in its place (encoder deadline,
        # full queue, error), or `previous_response`; beside it, the one the config selects.
        "classifier": record.classifier,
        "configured_classifier": hook.classification.kind,
        "defaulted": record.defaulted,
        "primary_model": record.chosen_model,
        "model": record.routed_model,
        "reason": record.route_reason,
        "why": why(hook, record, routed, prompt),
        "read": {"latest": prompt.latest[:EXCERPT_CHARS], "latest_chars": len(prompt.latest),
                 "context_turns": len(prompt.context), "system_chars": len(prompt.system)},
    }


def why(hook: AgentRouterHook, record: RoutingRecord, routed: bool, prompt: Prompt) -> str:
    config = hook.config
    if not routed:
        return ("the body names a model itself, not the virtual model or an alias of it: the hook "
                "leaves it alone and LiteLLM serves that model (the decision below is what "
                f"`{config.virtual_model}` would get)")
    if not prompt.latest.strip() and not prompt.context:
        text = "no user-typed text to read (only tool traffic, injected text or token ids)"
        because = f"{text}: the default model {config.default_model} serves"
    elif record.defaulted:
        because = (f"confidence {record.confidence:.2f} is below thresholds.low "
                   f"({config.thresholds.low}): the default model {config.default_model} serves")
    else:
        because = (f"classified {record.intent} with confidence {record.confidence:.2f} "
                   f"({record.level}); {record.intent} maps to {record.chosen_model}")
    configured = hook.classification.kind
    if record.classifier not in (configured, CONTINUATION):
        because += (f"; {record.classifier} decided in place of {configured}, which did not answer within "
                    "its deadline, had a full queue or failed")
    if record.route_reason == "context_window":
        because += (f"; the request is longer than {record.chosen_model}'s input window, so the first "
                    f"model of its fallback chain that takes it, {record.routed_model}, would serve")
    if record.route_reason == "health":
        because += (f"; {record.chosen_model} is unhealthy or cooled down, so the first available "
                    f"model of its fallback chain, {record.routed_model}, would serve")
    return because


def _error(message: str, param: str | None) -> JSONResponse:
    return JSONResponse(status_code=400, content={"error": {
        "message": message, "type": "invalid_request_error", "param": param, "code": "400"}})


def _message(exc: Exception) -> str:
    detail = getattr(exc, "detail", None)
    if isinstance(detail, Mapping) and isinstance(detail.get("error"), Mapping):
        return str(detail["error"].get("message"))
    return str(getattr(exc, "message", exc))


def _param(exc: Exception) -> str | None:
    detail = getattr(exc, "detail", None)
    if isinstance(detail, Mapping) and isinstance(detail.get("error"), Mapping):
        param = detail["error"].get("param")
        return param if isinstance(param, str) else None
    param = getattr(exc, "param", None)
    return param if isinstance(param, str) else None

