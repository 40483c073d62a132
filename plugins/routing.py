"""The routing policy: from a classifier decision to a model group, and health-aware failover along
LiteLLM's fallback chains."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from plugins.classify.decision import Decision
from plugins.config import RouterConfig

Level = Literal["high", "medium", "low"]


@dataclass(frozen=True, slots=True)
class Route:
    model: str
    intent: str
    confidence: float
    level: Level
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


def fallback_chains(fallbacks: Iterable[Any] | None) -> dict[str, tuple[str, ...]]:
    """LiteLLM's `router_settings.fallbacks` (`[{"qwen-coder": ["llama", ...]}, ...]`) as a dict."""
    chains: dict[str, tuple[str, ...]] = {}
    for entry in fallbacks or ():
        if not isinstance(entry, Mapping):
            continue
        for model, targets in entry.items():
            if isinstance(model, str) and isinstance(targets, list | tuple):
                chains.setdefault(model, tuple(t for t in targets if isinstance(t, str)))
    return chains


def first_available(primary: str, chain: Sequence[str], available: Callable[[str], bool]) -> str:
    """The primary if available, else the first available fallback, else the primary anyway.

    When nothing is available the request is still attempted against the primary (and LiteLLM's
    own fallbacks): the monitor can be wrong, and an attempt fails fast where a refusal would not
    tell the client anything new.
    """
    if available(primary):
        return primary
    for model in chain:
        if model != primary and available(model):
            return model
    return primary
