"""Health-aware failover: which model of an intent's fallback chain should serve right now."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any


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
