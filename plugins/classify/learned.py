"""Learned classifier: static embedding + structural features -> linear head, with conversation context.

How a decision is made (each choice is tested in tests/test_classifier_learned.py):
- The latest user turn is clipped (head and tail kept) and scored by the head: calibrated probabilities.
- Earlier turns (the last few, most recent last) and the system prompt are scored the same way and
  mixed in with weights that grow as the latest turn gets less certain: a vague follow-up ("why does
  it still fail?") leans on the conversation, a clear request ("tell me a joke") does not.
- A latest turn at least `DECISIVE` confident decides alone: even earlier turns and a system prompt
  that both disagree fully could not overturn it, so they are not scored (saves their cost).
- The system prompt counts half as much as earlier turns, so it can only tip a near tie; with no
  user text at all (empty, whitespace, image-only) and no earlier turns, nothing is decided: the
  default intent with confidence 0, so the default model serves.
- Long texts are clipped (head and tail) to bounded lengths before tokenising: cost stays bounded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from plugins.classify.decision import Decision
from plugins.classify.encoder import StaticEncoder
from plugins.classify.features import NAMES, structural_features
from plugins.classify.head import IntentHead, Vector, feature_names
from plugins.classify.keyword import clip
from plugins.prompt import Prompt

# The artifact ships as package data of `plugins` (plugins/models), beside the code that reads it.
PACKAGED_MODEL = Path(__file__).parent.parent / "models" / "intent-v1"
# Earlier turns beyond these are not read: an old topic should not outweigh the new one.
CONTEXT_TURNS = 4
CONTEXT_CHARS = 600
SYSTEM_CHARS = 400
# The system prompt's weight relative to earlier turns.
SYSTEM_SHARE = 0.5
# Structural features read a shorter head-and-tail sample: they are densities, and their regexes cost
# about 0.25 ms per 1,000 characters (250 instead of 500 characters: same held-out and dev scores).
STRUCTURAL_CHARS = 250
# With context_weight <= 0.3, mixed-in context and system prompt cannot overturn a latest turn this
# confident (worked through in docs/CLASSIFIER.md).
DECISIVE = 0.8


@dataclass(frozen=True)
class LearnedSettings:
    """Run-time knobs stored in the artifact's manifest (they were fixed when the head was trained)."""

    max_chars: int
    max_tokens: int


def prompt_features(encoder: StaticEncoder, text: str, max_chars: int) -> tuple[Vector, list[int]]:
    """The head's input for one text: [embedding, structural features] of the clipped text, and its
    distinct token ids (sorted, so the bag-of-tokens sum is order-independent)."""
    clipped = clip(text, max_chars)
    ids = encoder.token_ids(clipped)
    structure = structural_features(clip(clipped, STRUCTURAL_CHARS))
    dense = np.concatenate([encoder.embed_ids(ids), structure]).astype(np.float32)
    return dense, sorted(set(ids))


class LearnedClassifier:
    kind = "learned"

    def __init__(
        self,
        encoder: StaticEncoder,
        head: IntentHead,
        settings: LearnedSettings,
        default_intent: str,
        context_weight: float,
    ) -> None:
        expected = feature_names(encoder.dim, NAMES)
        if head.token_weights is not None and head.token_weights.shape[0] != encoder.vocab_size:
            raise ValueError("the head's token table does not match the encoder's vocabulary")
        if head.feature_names != expected:
            raise ValueError(
                "the head was trained on other features than this code computes "
                f"({len(head.feature_names)} vs {len(expected)}); rebuild it with `make model`"
            )
        if default_intent not in head.classes:
            raise ValueError(f"default intent {default_intent!r} is not a class of the model {head.classes}")
        self._encoder = encoder
        self._head = head
        self._settings = settings
        self._default_intent = default_intent
        self._context_weight = context_weight

    @classmethod
    def load(cls, directory: Path, default_intent: str, context_weight: float,
             max_chars: int | None = None) -> LearnedClassifier:
        """The artifact in `directory`; `max_chars` (the config's) lowers its clipping length."""
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        runtime = manifest["runtime"]
        limit = int(runtime["max_chars"]) if max_chars is None else min(int(runtime["max_chars"]), max_chars)
        settings = LearnedSettings(max_chars=limit, max_tokens=int(runtime["max_tokens"]))
        encoder = StaticEncoder.load(directory, settings.max_tokens)
        head = IntentHead.load(directory)
        return cls(encoder, head, settings, default_intent, context_weight)

    @property
    def classes(self) -> tuple[str, ...]:
        return self._head.classes

    def probabilities(self, text: str) -> Vector:
        """Calibrated class probabilities for one text on its own, in `classes` order."""
        dense, tokens = prompt_features(self._encoder, text, self._settings.max_chars)
        return self._head.probabilities(dense, tokens)

    def classify(self, prompt: Prompt) -> Decision:
        latest = prompt.latest.strip()
        limit = self._settings.max_chars
        context = clip("\n".join(prompt.context[-CONTEXT_TURNS:]).strip(), min(CONTEXT_CHARS, limit))
        system = clip(prompt.system.strip(), min(SYSTEM_CHARS, limit))
        if not latest and not context:
            return Decision(self._default_intent, 0.0, {c: 0.0 for c in self.classes})
        parts: list[tuple[float, Vector]] = []
        uncertainty = 1.0
        if latest:
            probs = self.probabilities(latest)
            k = len(probs)
            # 0 when the latest turn is certain, 1 when it is a three-way tie.
            uncertainty = float((1.0 - probs.max()) / (1.0 - 1.0 / k))
            parts.append((1.0, probs))
            if probs.max() >= DECISIVE and self._context_weight <= 0.3:
                context = system = ""
        if context:
            parts.append((self._context_weight * (1.0 + uncertainty), self.probabilities(context)))
        if system and self._context_weight > 0:
            weight = SYSTEM_SHARE * self._context_weight * (1.0 + uncertainty)
            parts.append((weight, self.probabilities(system)))
        mixed = np.zeros(len(self.classes), dtype=np.float32)
        for weight, probs in parts:
            mixed += weight * probs
        mixed /= sum(w for w, _ in parts)
        scores = {c: round(float(v), 4) for c, v in zip(self.classes, mixed, strict=True)}
        best = max(scores, key=lambda c: (scores[c], c == self._default_intent))
        return Decision(best, scores[best], scores)
