"""What the bundle reads from LiteLLM's Router, typed, and the one index over its model list.

`RouterView` names the Router data the bundle uses (LiteLLM 1.108.7's attribute names, which a
1.108 `Router` satisfies as it is); `router_hooks.compat` adapts newer Routers to it. Nothing else
in the bundle touches a Router.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol


class CooldownEntries(Protocol):
    """The cache LiteLLM keeps cooldown entries in (a DualCache: memory, plus Redis when configured)."""

    async def async_delete_cache(self, key: str) -> Any: ...


class CooldownStore(Protocol):
    """LiteLLM's CooldownCache: deployment id -> active cooldown ({"timestamp", "cooldown_time", ...}).

    `get_cooldown_cache_key` and `cooldown_store` are how an entry is ended early (1.108.7 has no
    method for it): deleting the key from `cooldown_store` removes it from memory and from Redis.
    """

    async def async_get_active_cooldowns(
        self, model_ids: list[str], parent_otel_span: Any
    ) -> Sequence[tuple[str, Any]]: ...

    def get_cooldown_cache_key(self, model_id: str) -> str: ...

    @property
    def cooldown_store(self) -> CooldownEntries: ...


class HealthStore(Protocol):
    """LiteLLM's DeploymentHealthCache (its setter is synchronous and may talk to Redis)."""

    def set_deployment_health_states(self, states: dict[str, Any]) -> None: ...


class RouterView(Protocol):
    """Read-only: a 1.108 Router's plain attributes satisfy it, and so do compat's properties."""

    @property
    def model_list(self) -> Any: ...
    @property
    def fallbacks(self) -> Any: ...
    @property
    def model_group_alias(self) -> Any: ...
    @property
    def cooldown_cache(self) -> CooldownStore | None: ...
    @property
    def health_state_cache(self) -> HealthStore | None: ...
    @property
    def enable_health_check_routing(self) -> Any: ...


RouterLookup = Callable[[], RouterView | None]
# (model group, api_base, model id) of one deployment, None where the model list lacks it.
Deployment = tuple[str | None, str | None, str | None]
# (model group, name the backend serves) of one deployment.
ServedName = tuple[str, str]


class DeploymentIndex:
    """The router's model list, parsed once per version of it: deployments, ids per group, names,
    input windows.

    Keyed on the (group, api_base, id, model, max_input_tokens) of every deployment, so a deployment replaced in place
    invalidates it; the key costs one pass over the list, the parse it saves several dict builds.
    """

    def __init__(self, router: RouterLookup) -> None:
        self._router = router
        self._key: tuple[Any, ...] | None = None
        self._deployments: list[Deployment] = []
        self._ids: dict[str, tuple[str, ...]] = {}
        self._names: dict[str, ServedName] = {}
        self._windows: dict[str, int] = {}

    def router(self) -> RouterView | None:
        return self._router()

    def _refresh(self) -> None:
        router = self._router()
        model_list = getattr(router, "model_list", None) if router is not None else None
        entries = [e for e in model_list or () if isinstance(e, Mapping)]
        key = tuple(_identity(e) for e in entries)
        if key == self._key:
            return
        deployments: list[Deployment] = []
        ids: dict[str, list[str]] = {}
        names: dict[str, ServedName] = {}
        windows: dict[str, int] = {}
        for (group, api_base, model_id, served, window) in key:
            deployments.append((group, api_base, model_id))
            if group is not None and window is not None:
                # The smallest declared window of the group: whichever deployment LiteLLM picks,
                # the prompt fits it.
                windows[group] = min(window, windows.get(group, window))
            if group is not None and model_id is not None:
                ids.setdefault(group, []).append(model_id)
                if served is not None:
                    # "openai/Qwen/Qwen2.5-Coder-7B-Instruct" -> the name the backend serves.
                    provider, _, name = served.partition("/")
                    names[model_id] = (group, name if provider == "openai" and name else served)
        self._deployments, self._names, self._windows = deployments, names, windows
        self._ids = {g: tuple(i) for g, i in ids.items()}
        self._key = key

    def deployments(self) -> list[Deployment]:
        self._refresh()
        return self._deployments

    def ids_by_group(self) -> dict[str, tuple[str, ...]]:
        self._refresh()
        return self._ids

    def windows(self) -> dict[str, int]:
        """model group -> `model_info.max_input_tokens` (smallest over its deployments); groups
        whose deployments declare none are absent."""
        self._refresh()
        return self._windows

    def served_name(self, model_id: str | None) -> ServedName | None:
        """(model group, served model name) of the deployment that answered, None if unknown."""
        if not model_id:
            return None
        self._refresh()
        return self._names.get(model_id)


Identity = tuple[str | None, str | None, str | None, str | None, int | None]


def _identity(entry: Mapping[str, Any]) -> Identity:
    params = entry.get("litellm_params")
    info = entry.get("model_info")
    params = params if isinstance(params, Mapping) else {}
    info = info if isinstance(info, Mapping) else {}
    window = info.get("max_input_tokens")
    # bool is an int subclass; a positive int is the only meaningful window.
    window = window if isinstance(window, int) and not isinstance(window, bool) and window > 0 else None
    return (_string(entry.get("model_name")), _string(params.get("api_base")),
            _string(info.get("id")), _string(params.get("model")), window)


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None
