"""A Responses request continuing a stored response with no user-typed text (an agent loop sending
tool results by `previous_response_id`) stays on the model that answered before, unclassified."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from litellm.proxy.hooks.responses_id_security import decrypted_response_id

from plugins.config import RouterConfig
from plugins.prompt import Prompt
from plugins.record import RoutingRecord
from plugins.routing import Route
from plugins.surfaces import Surface
from plugins.surfaces.responses import continued_deployment

# The `classifier` of a record that was not classified but continues a stored response.
CONTINUATION: Final = "previous_response"

# Returns (model group, served model name) for a deployment id, or None when unknown.
DeploymentLookup = Callable[[str | None], tuple[str, str] | None]


def continued_record(surface: Surface, data: Mapping[str, Any], prompt: Prompt, config: RouterConfig,
                     deployments: DeploymentLookup, started: float) -> RoutingRecord | None:
    """The record of the model that produced `previous_response_id`, or None: classify as usual.

    The caller still reroutes it around an unhealthy model."""
    if surface != "responses" or prompt.typed:
        return None
    previous = data.get("previous_response_id")
    if not isinstance(previous, str) or not previous:
        return None
    # The id the client holds is encrypted by LiteLLM's responses_id_security hook, which runs
    # after this hook (seen in 1.108.7); an id already in LiteLLM's plain form is read as is.
    deployment = continued_deployment(previous) or continued_deployment(decrypted_response_id(previous))
    served = deployments(deployment)
    if served is None or served[0] not in config.models:
        return None
    model = served[0]
    intent = next((name for name, i in config.intents.items() if i.model == model), config.default_intent)
    return RoutingRecord.of(Route(model, intent, 1.0, "high", False), None, CONTINUATION, started)
