"""The hook's classification step: how a request's prompt becomes a decision on the event loop.

`Inline` calls a fast classifier directly (keyword, learned, hybrid over learned: well under a
millisecond, so no thread hand-off is worth its cost). The encoder goes through
`router_hooks.dispatch.Dispatcher`, wrapped in `Continuous` so that a task's later steps reuse
the decision of its first.
"""

from __future__ import annotations

import time
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Protocol

from plugins.classify.build import build_classifier, load_learned
from plugins.classify.continuity import ContinuityCache, view_key
from plugins.classify.decision import Classifier, Decided
from plugins.config import RouterConfig
from plugins.metrics.series import RouterMetrics
from plugins.prompt import Prompt
from router_hooks.dispatch import Dispatcher


class Classification(Protocol):
    """`kind` is the configured classifier's; `Decided.classifier` names the one that decided.

    `started` is the hook's clock when routing began; `observed` is False for the operator's
    /router/classify, which must neither count metrics nor leave decisions behind.
    """

    kind: str

    async def decide(self, prompt: Prompt, started: float, observed: bool = True) -> Decided: ...


class Inline:
    """Today's path for the fast classifiers: called on the event loop, nothing added."""

    def __init__(self, classifier: Classifier) -> None:
        self.classifier = classifier
        self.kind = classifier.kind

    async def decide(self, prompt: Prompt, started: float, observed: bool = True) -> Decided:
        return Decided(self.classifier.classify(prompt), self.kind)


class Continuous:
    """The first decision for a view, reused for every later request reading the same view."""

    def __init__(self, inner: Classification, cache: ContinuityCache[Decided]) -> None:
        self.inner = inner
        self.cache = cache
        self.kind = inner.kind

    async def decide(self, prompt: Prompt, started: float, observed: bool = True) -> Decided:
        key = view_key(prompt)
        kept = self.cache.get(key)
        if kept is not None:
            return kept
        decided = await self.inner.decide(prompt, started, observed)
        # Awaiting let other requests run: one with the same view may have stored its decision
        # meanwhile, and the first one stored is the one every step gets.
        return self.cache.keep(key, decided) if observed else decided


def build_classification(config: RouterConfig, metrics: RouterMetrics) -> tuple[Classification, Executor | None]:
    """The classifier the config selects, inline; the encoder (alone or under hybrid's keywords)
    in its own pool behind a deadline, `learned` deciding in its place, decisions kept for
    continuations. Each proxy worker (--num_workers) builds its own bundle: one model per worker."""
    classifier = build_classifier(config)
    if not config.uses_encoder:
        return Inline(classifier), None
    settings = config.encoder
    executor = ThreadPoolExecutor(max_workers=settings.threads, thread_name_prefix="agent-router-encoder")
    # time.monotonic: the hook's clock, on which routing's start (the deadline's origin) is read.
    dispatcher = Dispatcher(classifier, load_learned(config), executor, settings.deadline_ms / 1000,
                            settings.queue_size, time.monotonic, metrics.classifier_fallback, settings.threads)
    return Continuous(dispatcher, ContinuityCache(settings.continuity_cache_size)), executor
