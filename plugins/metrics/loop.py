"""The learning loop's series (issue 19): feedback on routed decisions, shadow evaluation, capture.

Labels are intents from the config and the fixed `source` values only; every combination exists at
zero from the start, so the confusion-matrix panels have all their cells before the first report.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal, get_args

from prometheus_client import CollectorRegistry, Counter

# Who says what the intent should have been: the end user, a human reviewer, or a judge model.
Source = Literal["user", "reviewer", "model"]
SOURCES: Final[tuple[Source, ...]] = get_args(Source)
# Why a capture line was lost: the writer's queue was full, the disk was, the directory became
# unwritable (capture then stops for the worker's life), or the line itself failed.
CaptureDrop = Literal["queue_full", "disk_full", "unwritable", "error"]
CAPTURE_DROPS: Final[tuple[CaptureDrop, ...]] = get_args(CaptureDrop)


class LoopMetrics:
    def __init__(self, intents: Iterable[str], registry: CollectorRegistry) -> None:
        self.intents = tuple(intents)
        self.feedback = Counter(
            "agent_router_feedback",
            "First feedback per routed response: the intent the router predicted, the one reported, who reported it.",
            ["predicted_intent", "correct_intent", "source"], registry=registry,
        )
        self.shadow_decisions = Counter(
            "agent_router_shadow_decisions",
            "Sampled routed requests the shadow classifier decided after the response, by both intents.",
            ["live_intent", "shadow_intent"], registry=registry,
        )
        self.shadow_dropped = Counter(
            "agent_router_shadow_dropped",
            "Sampled requests the shadow classifier never saw: its queue was full.", registry=registry,
        )
        self.capture_dropped = Counter(
            "agent_router_capture_dropped",
            "Capture lines not written, by reason.", ["reason"], registry=registry,
        )
        for reason in CAPTURE_DROPS:
            self.capture_dropped.labels(reason)
        for predicted in self.intents:
            for correct in self.intents:
                self.shadow_decisions.labels(predicted, correct)
                for source in SOURCES:
                    self.feedback.labels(predicted, correct, source)

    def shadow_decided(self, live: str, shadow: str) -> None:
        self.shadow_decisions.labels(live, shadow).inc()

    def shadow_drop(self) -> None:
        self.shadow_dropped.inc()

    def capture_drop(self, reason: CaptureDrop) -> None:
        self.capture_dropped.labels(reason).inc()

    def feedback_given(self, predicted: str, correct: str, source: Source) -> None:
        self.feedback.labels(predicted, correct, source).inc()
