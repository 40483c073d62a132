"""Shadow evaluation (issue 19): a candidate classifier decides sampled routed requests after their
response, on its own thread, and only the pair (live intent, shadow intent) is counted.

The request path does one `random()` and one `put_nowait`; a full queue drops the sample and counts
it (`agent_router_shadow_dropped_total`) rather than making anyone wait. Building starts nothing:
`start` runs the worker thread, `stop` ends it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

from plugins.background import QueueWorker
from plugins.classify.decision import Classifier
from plugins.config import RouterConfig
from plugins.metrics.loop import LoopMetrics
from plugins.prompt import Prompt
from plugins.routing import choose_route, default_route

logger = logging.getLogger(__name__)


class ShadowEvaluator:
    def __init__(self, classifier: Classifier, config: RouterConfig, metrics: LoopMetrics, sample_rate: float,
                 queue_size: int, sample: Callable[[], float] = random.random) -> None:
        self.classifier = classifier
        self.config = config
        self.metrics = metrics
        self.sample_rate = sample_rate
        self._sample = sample
        self._worker = QueueWorker("agent-router-shadow", lambda item: self._decide(*item), queue_size)
        self.submitted = self.evaluated = self.dropped = self.failed = 0

    def submit(self, prompt: Prompt, live_intent: str) -> bool:
        """Queue one routed request's prompt if it is sampled; True when queued."""
        if self.sample_rate < 1.0 and self._sample() >= self.sample_rate:
            return False
        if not self._worker.offer((prompt, live_intent)):
            self.dropped += 1
            self.metrics.shadow_drop()
            return False
        self.submitted += 1
        return True

    def start(self) -> None:
        self._worker.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ends the worker after the samples already queued (their counts still land)."""
        self._worker.stop(timeout)

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until every queued sample was decided (tests, and `stop`'s callers that need counts)."""
        self._worker.drain(timeout)

    def _decide(self, prompt: Prompt, live_intent: str) -> None:
        try:
            intent = choose_route(self.classifier.classify(prompt), self.config).intent
        except Exception:  # a failing candidate is the candidate's problem: counted as the default intent
            logger.exception("agent-router: the shadow classifier failed")
            self.failed += 1
            intent = default_route(self.config).intent
        self.evaluated += 1
        self.metrics.shadow_decided(live_intent, intent)

    def as_json(self) -> dict[str, Any]:
        return {"classifier": self.classifier.kind, "sample_rate": self.sample_rate,
                "queue": self._worker.size, "submitted": self.submitted, "evaluated": self.evaluated,
                "dropped": self.dropped, "failed": self.failed, "cpu_seconds": round(self._worker.cpu_seconds, 6),
                "running": self._worker.running}
