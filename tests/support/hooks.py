"""The one factory for an AgentRouterHook under test: the shipped config, a fresh registry, a fake
clock, and optionally a health gate over a fake router; no proxy, no network."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry

from plugins.classify.decision import Classifier
from plugins.classify.keyword import KeywordClassifier
from plugins.config import RouterConfig, load_config
from plugins.metrics.series import RouterMetrics
from router_hooks.classification import Classification, Inline
from router_hooks.health_gate import HealthGate
from router_hooks.hook import AgentRouterHook
from router_hooks.router_view import ServedName
from scripts.stack import ROOT
from tests.support.clock import FakeClock

CONFIG = load_config(ROOT / "litellm_config.yaml")


@dataclass
class HookUnderTest:
    hook: AgentRouterHook
    registry: CollectorRegistry
    clock: FakeClock

    def value(self, name: str, labels: Mapping[str, str] | None = None) -> float | None:
        return self.registry.get_sample_value(name, dict(labels or {}))


def build_hook(
    classifier: Classifier | None = None,
    *,
    classification: Classification | None = None,
    health: HealthGate | None = None,
    deployments: Callable[[str | None], ServedName | None] = lambda model_id: None,
    aliases: Mapping[str, Any] | None = None,
    config: RouterConfig = CONFIG,
    clock: FakeClock | None = None,
) -> HookUnderTest:
    """The keyword classifier, inline, unless another classifier or classification step is given
    (keyword needs no artifact and is exact)."""
    registry, clock = CollectorRegistry(), clock or FakeClock(100.0)
    hook = AgentRouterHook(
        config=config,
        classification=classification or Inline(classifier or KeywordClassifier.from_config(config)),
        metrics=RouterMetrics(config.models, config.intents, registry=registry),
        deployments=deployments,
        aliases=lambda: aliases or {},
        clock=clock,
        health=health,
    )
    return HookUnderTest(hook, registry, clock)

