"""The shadow worker without LiteLLM: sampling, the bounded queue and its drops, counts per intent pair,
a failing candidate, and the config that builds it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from plugins.classify.build import build_shadow
from plugins.classify.decision import Decision
from plugins.config import ConfigError, RouterConfig, ShadowSettings, load_config
from plugins.metrics.loop import LoopMetrics
from plugins.prompt import Prompt
from plugins.shadow import ShadowEvaluator

CONFIG = Path(__file__).resolve().parents[1] / "litellm_config.yaml"
INTENTS = ("code", "reasoning", "general")


class Fixed:
    """A candidate that always answers `intent` (or raises), optionally held until released."""

    kind = "keyword"

    def __init__(self, intent: str = "reasoning", fail: bool = False) -> None:
        self.intent, self.fail = intent, fail
        self.release = threading.Event()
        self.release.set()

    def classify(self, prompt: Prompt) -> Decision:
        self.release.wait(5)
        if self.fail:
            raise RuntimeError("candidate bug")
        return Decision(self.intent, 0.9, {self.intent: 0.9})


def config(**shadow: object) -> RouterConfig:
    base = load_config(CONFIG)
    return base.model_copy(update={"shadow": ShadowSettings.model_validate({"classifier": "keyword", **shadow})})


def evaluator(candidate: Fixed, rate: float = 1.0, size: int = 4,
              sample: float = 0.0) -> tuple[ShadowEvaluator, CollectorRegistry]:
    registry = CollectorRegistry()
    return ShadowEvaluator(candidate, config(), LoopMetrics(INTENTS, registry), rate, size,
                           sample=lambda: sample), registry


def test_sampled_requests_are_decided_off_the_caller_and_counted_by_intent_pair() -> None:
    shadow, registry = evaluator(Fixed("reasoning"))
    shadow.start()
    try:
        assert shadow.submit(Prompt("prove it"), "code") and shadow.submit(Prompt("x"), "reasoning")
        shadow.drain()
    finally:
        shadow.stop()
    get = registry.get_sample_value
    assert get("agent_router_shadow_decisions_total", {"live_intent": "code", "shadow_intent": "reasoning"}) == 1
    assert get("agent_router_shadow_decisions_total", {"live_intent": "reasoning", "shadow_intent": "reasoning"}) == 1
    assert shadow.as_json()["evaluated"] == 2 and shadow.as_json()["cpu_seconds"] >= 0


def test_unsampled_requests_are_not_queued() -> None:
    shadow, _ = evaluator(Fixed(), rate=0.25, sample=0.5)
    assert shadow.submit(Prompt("x"), "code") is False and shadow.submitted == 0


def test_a_full_queue_drops_and_counts_without_waiting() -> None:
    candidate = Fixed()
    candidate.release.clear()  # the worker holds the first sample
    shadow, registry = evaluator(candidate, size=2)
    shadow.start()
    try:
        results = [shadow.submit(Prompt(str(i)), "code") for i in range(6)]
        assert results.count(False) >= 3  # one in the worker's hands at most, two queued
        assert registry.get_sample_value("agent_router_shadow_dropped_total") == results.count(False)
    finally:
        candidate.release.set()
        shadow.stop()


def test_a_failing_candidate_counts_as_the_default_intent_and_the_worker_goes_on() -> None:
    shadow, registry = evaluator(Fixed(fail=True))
    shadow.start()
    try:
        shadow.submit(Prompt("x"), "code")
        shadow.drain()
    finally:
        shadow.stop()
    assert registry.get_sample_value("agent_router_shadow_decisions_total",
                                     {"live_intent": "code", "shadow_intent": "general"}) == 1
    assert shadow.failed == 1


def test_the_config_builds_the_candidate_of_any_kind_and_refuses_a_keyword_model() -> None:
    built = build_shadow(config())
    assert built is not None and built.kind == "keyword"
    learned = build_shadow(config(classifier="learned"))
    assert learned is not None and learned.kind == "learned"
    hybrid = build_shadow(config(classifier="hybrid"))
    assert hybrid is not None
    with pytest.raises(ValueError, match=r"shadow\.model"):
        ShadowSettings.model_validate({"classifier": "keyword", "model": "/tmp/x"})
    with pytest.raises(ConfigError, match="manifest"):
        build_shadow(config(classifier="learned", model="/nonexistent"))
    assert build_shadow(load_config(CONFIG)) is None
