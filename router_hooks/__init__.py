"""LiteLLM entry point: `litellm_settings.callbacks: ["router_hooks.agent_router"]`.

The instance is built on first access (when LiteLLM loads its callbacks at start-up), so that
importing the package in tests or tools does not read any config. A bad config raises here and
stops the proxy with a message naming the file and the field.
"""

from __future__ import annotations

from typing import Any

_instance: Any = None


def __getattr__(name: str) -> Any:
    global _instance
    if name != "agent_router":
        raise AttributeError(f"module 'router_hooks' has no attribute {name!r}")
    if _instance is None:
        from router_hooks.wiring import build_from_proxy

        _instance = build_from_proxy()
    return _instance
