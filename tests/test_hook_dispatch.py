"""The hook with the encoder behind the dispatcher: the header names the classifier that decided,
fallbacks are counted, a task keeps its first decision, /router/classify says who decided; and
the inline path stays as it was for `learned`. Doubles stand in for the encoder (no model here)."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from starlette.requests import Request

from plugins.classify.continuity import ContinuityCache
from plugins.classify.decision import Classifier, Decision
from plugins.config import load_config
from plugins.metrics.series import FallbackReason, RouterMetrics
from plugins.prompt import Prompt
from router_hooks.classification import Continuous, Inline, build_classification
from router_hooks.classify_route import classify
from router_hooks.dispatch import Dispatcher
from scripts.stack import ROOT
from tests.support.agent_loops import loop_body
from tests.support.classifiers import FixedClassifier, RaisingClassifier
from tests.support.clock import FakeClock
from tests.support.executors import ManualExecutor
from tests.support.hooks import HookUnderTest, build_hook
from tests.test_hook import call, chat, header

CONFIG = load_config(ROOT / "litellm_config.yaml")
CODE = "Write a Python function that merges two sorted lists"
FALLBACKS = "agent_router_classifier_fallbacks_total"


class Switchable:
    """An encoder double that fails while `failing` is set, and answers `intent` otherwise."""

    kind = "encoder"

    def __init__(self, intent: str) -> None:
        self.inner = FixedClassifier("encoder", intent)
        self.failing = False

    def classify(self, prompt: Prompt) -> Decision:
        if self.failing:
            raise RuntimeError("encoder failed")
        return self.inner.classify(prompt)


def dispatched(primary: Classifier, executor: Executor, fast: Classifier | None = None,
               deadline: float = 5.0, cache_size: int = 16) -> HookUnderTest:
    """A hook whose classification is the bundle's encoder path, on the test's seams."""
    clock = FakeClock(100.0)
    built: list[HookUnderTest] = []  # the hook owns the metrics: fallbacks are counted on them

    def count(reason: FallbackReason) -> None:
        built[0].hook.metrics.classifier_fallback(reason)

    dispatcher = Dispatcher(primary, fast or FixedClassifier("learned", "code"), executor, deadline, 4, clock,
                            count)
    built.append(build_hook(classification=Continuous(dispatcher, ContinuityCache(cache_size)), clock=clock))
    return built[0]


def fallbacks(made: HookUnderTest) -> dict[str, float | None]:
    return {r: made.value(FALLBACKS, {"reason": r}) for r in ("deadline", "queue_full", "error")}


def test_the_header_names_the_encoder_when_it_decides(pool: ThreadPoolExecutor) -> None:
    made = dispatched(FixedClassifier("encoder", "reasoning"), pool)
    data = call(made.hook, chat(CODE))
    assert data["model"] == "deepseek-r1"
    assert header(made.hook, data, None)["classifier"] == "encoder"
    assert fallbacks(made) == {"deadline": 0, "queue_full": 0, "error": 0}
    assert made.value("agent_router_intent_classification_total",
                      {"intent": "reasoning", "confidence": "high"}) == 1


def test_a_missed_deadline_is_decided_by_learned_and_named_in_the_header() -> None:
    made = dispatched(FixedClassifier("encoder", "reasoning"), ManualExecutor(), deadline=0.02)
    data = call(made.hook, chat(CODE))
    assert data["model"] == "qwen-coder"
    assert header(made.hook, data, None)["classifier"] == "learned"
    assert fallbacks(made) == {"deadline": 1, "queue_full": 0, "error": 0}


def test_both_classifiers_failing_is_todays_rule(pool: ThreadPoolExecutor) -> None:
    made = dispatched(RaisingClassifier("encoder"), pool, fast=RaisingClassifier("learned"))
    data = call(made.hook, chat(CODE))
    assert data["model"] == CONFIG.default_model
    record = data["metadata"]["agent_router"]
    assert record.defaulted is True and record.classifier == "encoder"  # nobody decided
    assert made.value("agent_router_errors_total", {"model": "llama", "error_type": "classifier"}) == 1
    assert fallbacks(made)["error"] == 1


@pytest.mark.parametrize("surface", ["chat", "responses", "messages"])
def test_a_tool_loop_keeps_the_first_decision_whoever_made_it(pool: ThreadPoolExecutor, surface: Any) -> None:
    encoder = Switchable("reasoning")
    made = dispatched(encoder, pool)
    call_type = {"chat": "acompletion", "responses": "aresponses", "messages": "anthropic_messages"}[surface]
    encoder.failing = True  # the first step is decided by learned (code)
    for steps in range(6):
        if steps == 1:
            encoder.failing = False  # from now on the encoder would say reasoning
        data = call(made.hook, {"model": "agent-router", **loop_body(surface, steps)}, call_type)
        assert data["model"] == "qwen-coder", steps
        key = "metadata" if surface == "chat" else "litellm_metadata"
        assert data[key]["agent_router"].classifier == "learned", steps
    assert encoder.inner.prompts == []  # continuations never reached the encoder
    assert fallbacks(made)["error"] == 1
    # New user text is a new view: the encoder decides it.
    data = call(made.hook, {"model": "agent-router", **loop_body(surface, 6, new_task=True)}, call_type)
    assert data["model"] == "deepseek-r1"


def test_the_cache_is_bounded_and_keyed_on_the_view(pool: ThreadPoolExecutor) -> None:
    encoder = FixedClassifier("encoder", "reasoning")
    made = dispatched(encoder, pool, cache_size=2)
    for text in ("first task", "second task", "third task", "first task"):
        call(made.hook, chat(text))
    # "first task" was evicted by the third: classified again. The others were each classified once.
    assert [p.latest for p in encoder.prompts] == ["first task", "second task", "third task", "first task"]
    call(made.hook, chat("third task"))
    assert len(encoder.prompts) == 4  # still cached


def classify_request(body: dict[str, Any]) -> Request:
    payload = json.dumps(body).encode()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": payload, "more_body": False}

    return Request({"type": "http", "method": "POST", "path": "/router/classify", "headers": []}, receive)


def test_router_classify_goes_through_the_dispatcher_and_leaves_nothing_behind() -> None:
    executor = ManualExecutor()
    made = dispatched(FixedClassifier("encoder", "reasoning"), executor, deadline=0.02)
    body = {"surface": "chat", "body": chat(CODE)}
    out = json.loads(bytes(asyncio.run(classify(made.hook, classify_request(body))).body))
    assert out["classifier"] == "learned" and out["configured_classifier"] == "encoder"
    assert out["model"] == "qwen-coder" and len(executor.submitted) == 1
    assert "learned decided in place of encoder" in out["why"]
    assert fallbacks(made) == {"deadline": 0, "queue_full": 0, "error": 0}  # an operator query counts nothing
    # ... and stores nothing: the next real request is dispatched, not served from the cache.
    call(made.hook, chat(CODE))
    assert len(executor.submitted) == 2


def test_learned_keeps_the_inline_path_with_no_pool() -> None:
    learned = CONFIG.model_copy(update={"classifier": "learned"})
    metrics = RouterMetrics(learned.models, learned.intents, registry=CollectorRegistry())
    classification, executor = build_classification(learned, metrics)
    assert isinstance(classification, Inline) and executor is None
    assert classification.kind == "learned"


def test_hybrid_over_the_encoder_runs_in_the_encoder_pool() -> None:
    # The keyword rules over the packaged encoder (docs/ENCODER.md recommends it where accuracy matters): the
    # encoder's pool and deadline, not the event loop, and the header names `hybrid` when it decides.
    # A deadline no busy test host misses: the fallback's own path is pinned above.
    settings = CONFIG.encoder.model_copy(update={"deadline_ms": 10_000.0})
    hybrid = CONFIG.model_copy(update={"classifier": "hybrid", "hybrid_base": "encoder", "encoder": settings})
    metrics = RouterMetrics(hybrid.models, hybrid.intents, registry=CollectorRegistry())
    classification, executor = build_classification(hybrid, metrics)
    assert isinstance(classification, Continuous) and isinstance(executor, ThreadPoolExecutor)
    try:
        decided = asyncio.run(classification.decide(Prompt(latest=CODE), started=time.monotonic()))
    finally:
        executor.shutdown(wait=True)
    assert (classification.kind, decided.classifier, decided.decision.intent) == ("hybrid", "hybrid", "code")
