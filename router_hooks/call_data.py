"""Where the bundle's data sits in what LiteLLM hands the hook's callbacks (request data,
`litellm_params`, call info), per surface: the routing record, the served deployment, the model
group of a failed attempt."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from plugins.record import RoutingRecord
from plugins.surfaces import Surface, surface_of

# The key of the RoutingRecord in LiteLLM's request metadata (`metadata`, or `litellm_metadata` on
# the routes where LiteLLM keeps request metadata there).
META_KEY = "agent_router"
# Beside it: the surface the request came on (stored with the decision handle, issue 19).
SURFACE_KEY = "agent_router_surface"
# With shadow evaluation or capture: the Prompt the classifier read, taken out again once the
# response is on its way (never serialised: LiteLLM's logging sees the request's own text anyway).
PROMPT_KEY = "agent_router_prompt"
METADATA_KEYS = ("metadata", "litellm_metadata")
# Where LiteLLM 1.108.7 keeps request metadata per surface (proxy/litellm_pre_call_utils.py,
# LITELLM_METADATA_ROUTES): on /v1/responses and /v1/messages `metadata` is the client's own API
# parameter (forwarded to the provider), and only `litellm_metadata` reaches the callbacks.
SURFACE_METADATA: dict[Surface, str] = {
    "chat": "metadata", "completions": "metadata",
    "responses": "litellm_metadata", "messages": "litellm_metadata",
}


def record_in(container: Any) -> RoutingRecord | None:
    """The hook's record in request data or `litellm_params`: under `metadata` or `litellm_metadata`."""
    if not isinstance(container, Mapping):
        return None
    for key in METADATA_KEYS:
        metadata = container.get(key)
        if isinstance(metadata, Mapping):
            record = metadata.get(META_KEY)
            if isinstance(record, RoutingRecord):
                return record
    return None


def surface_in(container: Any) -> str | None:
    """The surface the hook recorded beside its record (request data or `litellm_params`)."""
    if not isinstance(container, Mapping):
        return None
    for key in METADATA_KEYS:
        metadata = container.get(key)
        if isinstance(metadata, Mapping) and isinstance(metadata.get(SURFACE_KEY), str):
            return str(metadata[SURFACE_KEY])
    return None


def take_prompt(container: Any) -> Any:
    """The Prompt the hook left for the shadow classifier and capture, removed from the metadata (or None)."""
    if not isinstance(container, Mapping):
        return None
    for key in METADATA_KEYS:
        metadata = container.get(key)
        if isinstance(metadata, dict) and PROMPT_KEY in metadata:
            return metadata.pop(PROMPT_KEY)
    return None


def served_id(call_info: Mapping[str, Any], data: Mapping[str, Any]) -> str | None:
    """The deployment that answered: `litellm_call_info["model_id"]` (from the response's hidden
    params). On non-streaming /v1/messages LiteLLM 1.108.7 drops those before the header hook, and
    the request's own `model_info` is the first attempt's (a fallback works on a copy); the
    request's logging object holds the litellm_params of the attempt that answered."""
    model_id = call_info.get("model_id")
    if isinstance(model_id, str) and model_id:
        return model_id
    details = getattr(data.get("litellm_logging_obj"), "model_call_details", None)
    params = details.get("litellm_params") if isinstance(details, Mapping) else None
    holders = [params.get(key) for key in METADATA_KEYS] if isinstance(params, Mapping) else []
    for holder in (*holders, call_info):
        info = holder.get("model_info") if isinstance(holder, Mapping) else None
        found = info.get("id") if isinstance(info, Mapping) else None
        if isinstance(found, str) and found:
            return found
    return None


def attempted_group(request_data: Mapping[str, Any], call_type: Any) -> str | None:
    """The model group of a failed attempt, under the metadata key of the call's own surface.

    Bridged calls fail twice: LiteLLM 1.108.7 fires the per-attempt hook for the router's
    `aresponses`/`anthropic_messages` call and again for the `acompletion` it makes inside it
    (utils.py `client` wrapper). That inner call carries the outer request's `litellm_metadata`
    but no `model_group` in `metadata`, so reading only the call type's own key counts each
    failed attempt once.
    """
    surface = surface_of(call_type)
    keys = (SURFACE_METADATA[surface],) if surface is not None else ("litellm_metadata", "metadata")
    for key in keys:
        metadata = request_data.get(key)
        if isinstance(metadata, Mapping) and isinstance(metadata.get("model_group"), str):
            return str(metadata["model_group"])
    return None


def model_group(kwargs: Mapping[str, Any]) -> str | None:
    slo = kwargs.get("standard_logging_object") or {}
    group = slo.get("model_group") if isinstance(slo, Mapping) else None
    return group if isinstance(group, str) and group else None


def elapsed(start: Any, end: Any) -> float:
    try:
        return float((end - start).total_seconds())
    except (TypeError, AttributeError):
        return 0.0
