"""`POST /router/classify`: the routing decision for a request body, without calling a model.

The operator's answer to "why did this go there?": the body of any surface is read, validated
and classified exactly as the pre-call hook would, and the model it would go to (health reroute
included) comes back with the reason. Nothing is counted in the metrics.

Request: `{"surface": "chat" | "responses" | "messages" | "completions", "body": {...}}`
(`surface` defaults to "chat"). Bad input: 400, OpenAI-style, naming the field.

The answer is the calling key's routing (its models, its and its team's policy and budget, issue
20). An admin key may add `"tenant": {"models": [...], "team_id": ..., "team_models": [...],
"metadata": {...}, "team_metadata": {...}, "spend": ..., "max_budget": ..., "team_spend": ...,
"team_max_budget": ...}` to see how such a caller would be routed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from litellm.proxy._types import LitellmUserRoles, ProxyException, UserAPIKeyAuth
from pydantic import ValidationError

from plugins.prompt import Prompt, PromptError
from plugins.record import RoutingRecord
from plugins.surfaces import PROXY_CALL_TYPE, SURFACES, read, validate
from plugins.tenant_policy import Caller
from router_hooks.continuation import CONTINUATION
from router_hooks.hook import AgentRouterHook

CLASSIFY_PATH: Final = "/router/classify"
# The auth-object fields an admin may simulate (LiteLLM fills them from the key and team rows).
TENANT_FIELDS: Final = frozenset({"models", "team_id", "team_models", "metadata", "team_metadata", "spend",
                                  "max_budget", "team_spend", "team_max_budget"})
# How much of the deciding turn is shown back (the caller sent it; it is never logged).
EXCERPT_CHARS: Final = 200


async def classify(hook: AgentRouterHook, request: Request, token: Any = None) -> JSONResponse:
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
    tenant = envelope.get("tenant")
    if tenant is not None:
        if getattr(token, "user_role", None) != LitellmUserRoles.PROXY_ADMIN:
            return _error("only an admin key may simulate a `tenant`", "tenant", status=403)
        if not isinstance(tenant, Mapping) or set(tenant) - TENANT_FIELDS:
            return _error(f"`tenant` must be an object of {', '.join(sorted(TENANT_FIELDS))}", "tenant")
        try:
            token = UserAPIKeyAuth(api_key="sk-simulated-tenant", **tenant)
        except ValidationError as exc:
            return _error(f"`tenant`: {exc.errors()[0]['msg']}", "tenant")
    caller = await hook.caller(token)
    try:
        record = await hook.route(prompt, count=False, request=body, call_type=PROXY_CALL_TYPE[surface],
                                  caller=caller)
    except (HTTPException, ProxyException) as exc:  # the hook's 400 (no window takes it) or 403 (no model)
        return _error(_message(exc), _param(exc), status=_status(exc))
    routed = hook.is_routed(body.get("model", hook.config.virtual_model))
    return JSONResponse(decision_json(hook, surface, prompt, record, routed, caller))


def decision_json(hook: AgentRouterHook, surface: str, prompt: Prompt, record: RoutingRecord,
                  routed: bool, caller: Caller) -> dict[str, Any]:
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
        "reason": record.reason(record.routed_model),
        "yaml_model": record.policy_from or record.chosen_model,
        "allowed_models": sorted(caller.allowed) if caller.allowed is not None else None,
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
    if record.policy_reason == "access":
        because += (f"; this caller may not use {record.policy_from}, so the first model of its fallback "
                    f"chain the caller may use, {record.chosen_model}, is its primary")
    if record.policy_reason == "budget":
        because += (f"; this caller's spend reached its policy's budget.at, so {record.intent} goes to "
                    f"{record.chosen_model} instead of {record.policy_from}")
    if record.route_reason == "context_window":
        because += (f"; the request is longer than {record.chosen_model}'s input window, so the first "
                    f"model of its fallback chain that takes it, {record.routed_model}, would serve")
    if record.route_reason == "health":
        because += (f"; {record.chosen_model} is unhealthy or cooled down, so the first available "
                    f"model of its fallback chain, {record.routed_model}, would serve")
    return because


def _error(message: str, param: str | None, status: int = 400) -> JSONResponse:
    kind = "invalid_request_error" if status == 400 else "key_model_access_denied"
    return JSONResponse(status_code=status, content={"error": {
        "message": message, "type": kind, "param": param, "code": str(status)}})


def _status(exc: Exception) -> int:
    code = getattr(exc, "status_code", None) or getattr(exc, "code", None)
    return 403 if str(code) == "403" else 400


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

