"""Hybrid classifier: a model classifier's probabilities, nudged by the keyword rules when they fire.

The model classifier is `hybrid_base`: `learned` (intent-v1, the default) or the `encoder`, which
then runs with the keywords in the encoder's pool behind its deadline (router_hooks/dispatch.py).
The scores are `(1 - w) * model + w * keyword` for every intent, with `w` the configured
`hybrid_keyword_weight`; when no keyword matches, the model's decision stands unchanged (a keyword
classifier with nothing to say must not dilute a confident model).
"""

from __future__ import annotations

from plugins.classify.decision import Classifier, Decision
from plugins.prompt import Prompt


class HybridClassifier:
    kind = "hybrid"

    def __init__(self, model: Classifier, keyword: Classifier, keyword_weight: float) -> None:
        if not 0.0 <= keyword_weight <= 1.0:
            raise ValueError(f"keyword_weight must be in [0, 1], not {keyword_weight}")
        self._model = model  # `hybrid_base`: learned or the encoder
        self._keyword = keyword
        self._weight = keyword_weight

    def classify(self, prompt: Prompt) -> Decision:
        model = self._model.classify(prompt)
        keyword = self._keyword.classify(prompt)
        if keyword.confidence <= 0.0 or self._weight == 0.0:
            return model
        names = set(model.scores) | set(keyword.scores)
        scores = {
            n: round((1 - self._weight) * model.scores.get(n, 0.0) + self._weight * keyword.scores.get(n, 0.0), 4)
            for n in sorted(names)
        }
        # Ties keep the model's choice: it is the better-calibrated of the two.
        best = max(scores, key=lambda n: (scores[n], n == model.intent))
        return Decision(best, scores[best], scores)
