"""LiteLLM entry point: `litellm_settings.callbacks: ["router_hooks.agent_router"]`.

LiteLLM resolves that name when it loads its callbacks at proxy start-up (on the proxy's event
loop); only then is the bundle built from the proxy's config and started, so importing the package
in tests or tools reads no config and starts nothing. A bad config raises here and stops the proxy
with a message naming the file and the field.
"""

from __future__ import annotations

from typing import Any

# The started bundle of this process: LiteLLM needs a module attribute, and resolving it twice
# must not start a second monitor and exporter.
_bundle: Any = None


def __getattr__(name: str) -> Any:
    global _bundle
    if name != "agent_router":
        raise AttributeError(f"module 'router_hooks' has no attribute {name!r}")
    if _bundle is None:
        from router_hooks.bundle import start_in_proxy

        _bundle = start_in_proxy()
    return _bundle.hook
