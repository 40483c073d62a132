"""From a classifier decision to the model group that should serve: the routing policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from plugins.config import RouterConfig
from plugins.decision import Decision


@dataclass(frozen=True, slots=True)
class Route:
    model: str
    intent: str
    confidence: float
    level: Literal["high", "medium", "low"]
    # True when confidence was under `low` and the default model serves instead of the intent's.
    defaulted: bool


def choose_route(decision: Decision, config: RouterConfig) -> Route:
    level = config.thresholds.level(decision.confidence)
    if decision.intent not in config.intents:
        # A classifier label the config does not know must not become a metric label.
        return default_route(config)
    if decision.confidence < config.thresholds.low:
        return Route(config.default_model, decision.intent, decision.confidence, level, True)
    return Route(config.model_for(decision.intent), decision.intent, decision.confidence, level, False)


def default_route(config: RouterConfig) -> Route:
    """Where a request goes when classification itself failed (fail open)."""
    return Route(config.default_model, config.default_intent, 0.0, "low", True)
