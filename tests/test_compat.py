"""router_hooks.compat without LiteLLM's Router: version checks and which view a router gets.

What the real Routers of each version answer is pinned by tests/test_litellm_contract.py.
"""

from __future__ import annotations

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
    assert view.cooldown_cache is router.state.cooldowns
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
