"""Classifier doubles for the dispatcher and the hook: a fixed answer, one that raises, one that
records the thread it ran on. No model, no clock."""

from __future__ import annotations

import threading

from plugins.classify.decision import Decision
from plugins.prompt import Prompt


def decision(intent: str, confidence: float = 0.9) -> Decision:
    rest = (1.0 - confidence) / 2
    scores = {name: confidence if name == intent else rest for name in ("code", "reasoning", "general")}
    return Decision(intent, confidence, scores)


class FixedClassifier:
    """Answers `intent` to every prompt; records the prompts and the threads it ran on."""

    def __init__(self, kind: str, intent: str, confidence: float = 0.9) -> None:
        self.kind = kind
        self.answer = decision(intent, confidence)
        self.prompts: list[Prompt] = []
        self.threads: list[int] = []

    def classify(self, prompt: Prompt) -> Decision:
        self.prompts.append(prompt)
        self.threads.append(threading.get_ident())
        return self.answer


class RaisingClassifier:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.calls = 0

    def classify(self, prompt: Prompt) -> Decision:
        self.calls += 1
        raise RuntimeError(f"{self.kind} failed")
