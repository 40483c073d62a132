"""router_hooks.compat without LiteLLM's Router: version checks and which view a router gets.

What the real Routers of each version answer is pinned by tests/test_litellm_contract.py.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest

from router_hooks import compat


def view_of(router: Any) -> Any:
    """The compat view the bundle gets, typed Any: tests also call LiteLLM's own methods on it."""
    found = compat.router_view(router)
    assert found is not None
    return found


@dataclass
class Registry:
    deployments: list[dict[str, Any]]
    alias: dict[str, str]

    def all(self) -> list[dict[str, Any]]:
        return self.deployments

    def aliases(self) -> dict[str, str]:
        return self.alias

    def deployment(self, model_id: str) -> dict[str, Any] | None:
        return next((d for d in self.deployments if d["model_info"]["id"] == model_id), None)


@dataclass
class Settings:
    fallbacks: list[dict[str, list[str]]]
    enable_health_check_routing: bool = False


@dataclass
class Health:
    cooldowns: object = field(default_factory=object)
    health_checks: object = field(default_factory=object)


class FacadeRouter:
    """The shape of a 1.109+ Router: data only behind registry(), settings(), health()."""

    def __init__(self) -> None:
        self.reg = Registry([{"model_name": "llama", "model_info": {"id": "a"}}], {"gpt-4o": "agent-router"})
        self.current = Settings([{"llama": ["qwen-coder"]}], enable_health_check_routing=True)
        self.state = Health()

    def registry(self) -> Registry:
        return self.reg

    def settings(self) -> Settings:
        return self.current

    def health(self) -> Health:
        return self.state


def test_facade_router_is_read_through_its_entry_points() -> None:
    router = FacadeRouter()
    view = view_of(router)
    assert isinstance(view, compat.EntryPointView)
    assert view.model_list is router.reg.deployments
    assert view.model_group_alias == {"gpt-4o": "agent-router"}
    assert view.fallbacks == [{"llama": ["qwen-coder"]}]
    assert view.enable_health_check_routing is True
    assert view.cooldown_cache.store is router.state.cooldowns
    assert view.health_state_cache is router.state.health_checks
    assert view.get_deployment("a") == {"model_name": "llama", "model_info": {"id": "a"}}


def test_view_sees_a_replaced_settings_snapshot() -> None:
    # LiteLLM replaces settings() when the router applies a change: the view must not keep the old one.
    router = FacadeRouter()
    view = view_of(router)
    router.current = Settings([{"llama": ["deepseek-r1"]}])
    assert view.fallbacks == [{"llama": ["deepseek-r1"]}]
    assert view.enable_health_check_routing is False


def test_attribute_router_is_its_own_view() -> None:
    class AttributeRouter:  # the shape of a 1.108 Router
        def __init__(self) -> None:
            self.model_list: list[Any] = []
            self.fallbacks: list[Any] = []

    router = AttributeRouter()
    assert view_of(router) is router
    assert compat.router_view(None) is None


def test_a_new_router_gets_a_new_view() -> None:
    first, second = FacadeRouter(), FacadeRouter()
    assert view_of(first) is view_of(first)
    assert view_of(second).model_list is second.reg.deployments


@pytest.mark.parametrize(("version", "tested"), [
    ("1.108.6", False), ("1.108.7", True), ("1.109.3", True), ("1.110.2", True),
    ("1.110.99.post1", True), ("1.111.0", False), ("1.111.0rc1", False), ("2.0.0", False), ("", False),
])
def test_tested_range(version: str, tested: bool) -> None:
    assert compat.is_tested(version) is tested


def test_untested_version_logs_one_warning_naming_the_range(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="router_hooks.compat"):
        assert compat.warn_if_untested("1.111.0") is False
        assert compat.warn_if_untested("1.110.2") is True
    assert [r.getMessage() for r in caplog.records] == [
        "agent-router: LiteLLM 1.111.0 is outside the tested range >=1.108.7,<1.111; the bundle "
        "runs, but the LiteLLM internals it uses (tests/test_litellm_contract.py) were not checked "
        "on this version"
    ]


class CountingStore:
    """A cooldown store that counts reads; `active` maps id -> LiteLLM's cooldown value."""

    def __init__(self) -> None:
        self.active: dict[str, dict[str, float]] = {}
        self.reads = 0

    async def async_get_active_cooldowns(self, model_ids: list[str], parent_otel_span: Any) -> list[tuple[str, Any]]:
        self.reads += 1
        return [(i, self.active[i]) for i in model_ids if i in self.active]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_cooldown_reads_are_reused_for_the_ttl_then_read_again() -> None:
    store, mono = CountingStore(), Clock(100.0)
    cached = compat.CachedCooldowns(store, ttl=1.0, clock=mono, wall_clock=Clock(5000.0))
    assert asyncio.run(cached.async_get_active_cooldowns(["a"], None)) == []
    store.active["a"] = {"timestamp": 5000.0, "cooldown_time": 30.0}
    mono.now += 0.5
    assert asyncio.run(cached.async_get_active_cooldowns(["a"], None)) == []  # reused: at most 1 s late
    assert store.reads == 1
    mono.now += 0.6
    assert dict(asyncio.run(cached.async_get_active_cooldowns(["a"], None))) == {"a": store.active["a"]}
    assert store.reads == 2
    asyncio.run(cached.async_get_active_cooldowns(["a", "b"], None))  # another id set: its own read
    assert store.reads == 3


def test_a_cooldown_read_is_never_kept_past_the_first_cooldown_end() -> None:
    store, mono, wall = CountingStore(), Clock(100.0), Clock(5000.0)
    store.active["a"] = {"timestamp": 4970.2, "cooldown_time": 30.0}  # ends 0.2 s from now
    cached = compat.CachedCooldowns(store, ttl=1.0, clock=mono, wall_clock=wall)
    asyncio.run(cached.async_get_active_cooldowns(["a"], None))
    mono.now += 0.3
    asyncio.run(cached.async_get_active_cooldowns(["a"], None))
    assert store.reads == 2


def test_entry_point_view_caches_cooldown_reads_of_the_current_store() -> None:
    router = FacadeRouter()
    router.state = Health(cooldowns=CountingStore())
    view = view_of(router)
    assert isinstance(view.cooldown_cache, compat.CachedCooldowns)
    assert view.cooldown_cache is view.cooldown_cache
    assert view.cooldown_cache.store is router.state.cooldowns
    router.state = Health(cooldowns=CountingStore())  # LiteLLM rebinds its store: a new cache
    assert view.cooldown_cache.store is router.state.cooldowns


def test_python_3_11_logs_one_warning_naming_the_crash(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="router_hooks.compat"):
        assert compat.warn_if_crash_prone_python((3, 11)) is False
        assert compat.warn_if_crash_prone_python((3, 12)) is True
        assert compat.warn_if_crash_prone_python((3, 13)) is True
    assert [r.getMessage() for r in caplog.records] == [
        "agent-router: Python 3.11 can crash the proxy under load (the GC inside ContextVar.set, "
        "python/cpython#148891); run LiteLLM on Python 3.12 or newer"
    ]
