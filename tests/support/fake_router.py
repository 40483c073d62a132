"""A stand-in for the parts of `litellm.Router` the bundle reads (`RouterView`), shaped like the
shipped config.

The attributes and the two cache methods are LiteLLM 1.108.7's (`Router.model_list`,
`Router.fallbacks`, `Router.enable_health_check_routing`, `CooldownCache.async_get_active_cooldowns`,
`DeploymentHealthCache.set_deployment_health_states`); tests that need the real router start a proxy.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from router_hooks.router_view import CooldownStore, HealthStore

MODELS = ("llama", "qwen-coder", "deepseek-r1")
FALLBACKS: list[dict[str, list[str]]] = [
    {"qwen-coder": ["llama", "deepseek-r1"]},
    {"deepseek-r1": ["llama", "qwen-coder"]},
    {"llama": ["qwen-coder", "deepseek-r1"]},
]
# qwen-coder's trailing slash is deliberate: health URLs must not depend on it.
API_BASES = {"llama": "http://127.0.0.1:8080/v1", "qwen-coder": "http://127.0.0.1:8081/v1/",
             "deepseek-r1": "http://127.0.0.1:8082/v1"}


def deployment(group: str, api_base: str | None, model_id: str | None) -> dict[str, Any]:
    """One `model_list` entry as LiteLLM holds it; None leaves the field out."""
    entry: dict[str, Any] = {"model_name": group, "litellm_params": {}, "model_info": {}}
    if api_base is not None:
        entry["litellm_params"]["api_base"] = api_base
    if model_id is not None:
        entry["model_info"]["id"] = model_id
    return entry


def shipped_model_list() -> list[dict[str, Any]]:
    """The three deployments (ids `id-<group>`) and the virtual model on llama's backend."""
    return [deployment(m, API_BASES[m], f"id-{m}") for m in MODELS] + [
        deployment("agent-router", API_BASES["llama"], "id-virtual")
    ]


class FakeCooldownCache:
    """Deployment id -> LiteLLM's cooldown value (`timestamp` it started, `cooldown_time` seconds)."""

    def __init__(self) -> None:
        self.active: dict[str, dict[str, float]] = {}

    def cool_down(self, model_id: str, started: float, seconds: float) -> None:
        self.active[model_id] = {"timestamp": started, "cooldown_time": seconds}

    async def async_get_active_cooldowns(
        self, model_ids: Sequence[str], parent_otel_span: Any
    ) -> list[tuple[str, dict[str, float]]]:
        return [(i, self.active[i]) for i in model_ids if i in self.active]

    def get_cooldown_cache_key(self, model_id: str) -> str:
        return f"deployment:{model_id}:cooldown"  # LiteLLM 1.108.7's key

    @property
    def cooldown_store(self) -> FakeCooldownCache:
        return self

    async def async_delete_cache(self, key: str) -> None:
        self.active.pop(key.removeprefix("deployment:").removesuffix(":cooldown"), None)


class FakeHealthStateCache:
    """Records every `set_deployment_health_states` call (synchronous in LiteLLM 1.108.7)."""

    def __init__(self) -> None:
        self.writes: list[dict[str, Any]] = []

    def set_deployment_health_states(self, states: Mapping[str, Any]) -> None:
        self.writes.append(dict(states))


class FakeRouter:
    def __init__(
        self,
        model_list: Iterable[dict[str, Any]] | None = None,
        fallbacks: list[dict[str, list[str]]] | None = None,
    ) -> None:
        self.model_list = list(model_list) if model_list is not None else shipped_model_list()
        self.fallbacks = fallbacks if fallbacks is not None else copy.deepcopy(FALLBACKS)
        self.model_group_alias: dict[str, Any] = {}
        # What tests set and read; the two attributes after them are what the bundle reads, typed as
        # RouterView declares them (a Protocol's settable attributes must match exactly).
        self.cooldowns = FakeCooldownCache()
        self.health_states = FakeHealthStateCache()
        self.cooldown_cache: CooldownStore | None = self.cooldowns
        self.health_state_cache: HealthStore | None = self.health_states
        self.enable_health_check_routing = False

    def add_deployment(self, group: str, api_base: str | None, model_id: str | None) -> None:
        """A deployment added at run time (LiteLLM's admin UI or `/model/new`)."""
        self.model_list.append(deployment(group, api_base, model_id))
