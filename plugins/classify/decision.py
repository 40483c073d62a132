"""The classifier's answer and the interface every classifier implements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from plugins.prompt import Prompt


@dataclass(frozen=True, slots=True)
class Decision:
    """`scores` maps every configured intent to a value in [0, 1]; `confidence` is the winner's."""

    intent: str
    confidence: float
    scores: Mapping[str, float] = field(default_factory=dict)

    def top(self, n: int = 3) -> list[tuple[str, float]]:
        """The n best intents, best first (ties broken by name, so the order is stable)."""
        return sorted(self.scores.items(), key=lambda kv: (-kv[1], kv[0]))[:n]

    @property
    def margin(self) -> float:
        """Distance between the two best scores: small means the call was close."""
        best = self.top(2)
        if len(best) < 2:
            return best[0][1] if best else 0.0
        return best[0][1] - best[1][1]


@dataclass(frozen=True, slots=True)
class Decided:
    """A decision and the `kind` of the classifier that made it (the encoder, or the fallback that
    answered in its place): the header's `classifier` field."""

    decision: Decision
    classifier: str


class Classifier(Protocol):
    """Pure: no I/O, no clock, no globals. `kind` is a fixed slug (it becomes a label value)."""

    kind: str

    def classify(self, prompt: Prompt) -> Decision: ...
