"""The intervals `agent-router eval` prints: Wilson for accuracy, a seeded bootstrap for macro-F1."""

from __future__ import annotations

import random

import pytest

from plugins.classify.evaluation import score
from plugins.classify.intervals import bootstrap_macro_f1, figures, macro_f1, wilson

LABELS = ("code", "reasoning", "general")


def test_wilson_matches_the_textbook_values() -> None:
    # 8 of 10 at 95%: 0.4902 to 0.9433 (Wilson 1927; e.g. Newcombe 1998, table I)
    low, high = wilson(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert wilson(0, 20)[0] == 0.0 and wilson(0, 20)[1] > 0.0  # never zero-width at the edges
    assert wilson(20, 20)[1] == 1.0 and wilson(20, 20)[0] < 1.0
    assert wilson(0, 0) == (0.0, 1.0)


def rows(n: int, seed: int) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    truth = [rng.choice(LABELS) for _ in range(n)]
    predicted = [t if rng.random() < 0.8 else rng.choice(LABELS) for t in truth]
    return truth, predicted


def test_macro_f1_agrees_with_score() -> None:
    truth, predicted = rows(300, 1)
    index = {k: i for i, k in enumerate(LABELS)}
    fast = macro_f1([index[t] for t in truth], [index[p] for p in predicted], len(LABELS))
    assert fast == pytest.approx(score(truth, predicted, LABELS).macro_f1)


def test_the_bootstrap_is_deterministic_and_brackets_the_estimate() -> None:
    truth, predicted = rows(200, 2)
    first = bootstrap_macro_f1(truth, predicted, LABELS, resamples=300)
    assert first == bootstrap_macro_f1(truth, predicted, LABELS, resamples=300)
    assert first[0] < score(truth, predicted, LABELS).macro_f1 < first[1]
    assert first != bootstrap_macro_f1(truth, predicted, LABELS, resamples=300, seed=3)
    # more rows, narrower interval
    wide = bootstrap_macro_f1(truth[:40], predicted[:40], LABELS, resamples=300)
    assert wide[1] - wide[0] > first[1] - first[0]


def test_a_prediction_outside_the_scored_labels_counts_as_wrong() -> None:
    f = figures(["code", "code"], ["code", "general"], ("code",), resamples=50)
    assert f.accuracy.value == 0.5
    assert f.macro_f1.value == pytest.approx(2 / 3)
