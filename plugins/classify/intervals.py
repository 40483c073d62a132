"""Confidence intervals for `agent-router eval`: Wilson for accuracy, a seeded bootstrap for macro-F1 (pure Python).

A dev set of a few hundred prompts, split by language or source, gives groups of 20-100: a figure without its
interval invites reading noise as progress (the first real-chat set scored two models 0.821 and 0.822)."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from plugins.classify.evaluation import score

# 95% two-sided.
Z95 = 1.959964
RESAMPLES = 1000
SEED = 20250611


def wilson(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion `correct / n`; (0, 1) when n is 0.

    Unlike the normal approximation it stays inside [0, 1] and is not zero-width at 0 or n correct, which
    small groups (one language's 20 prompts) reach often."""
    if n == 0:
        return 0.0, 1.0
    p = correct / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def macro_f1(truth: Sequence[int], predicted: Sequence[int], classes: int) -> float:
    """Macro-F1 over `classes` label indices; a label never true nor predicted counts as F1 0 (as `score` does)."""
    tp = [0] * classes
    true_n = [0] * classes
    pred_n = [0] * classes
    for t, p in zip(truth, predicted, strict=True):
        true_n[t] += 1
        if 0 <= p < classes:
            pred_n[p] += 1
            if p == t:
                tp[t] += 1
    total = 0.0
    for k in range(classes):
        if tp[k]:
            precision, recall = tp[k] / pred_n[k], tp[k] / true_n[k]
            total += 2 * precision * recall / (precision + recall)
    return total / classes if classes else 0.0


def bootstrap_macro_f1(
    truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str], resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float]:
    """Percentile interval (2.5%, 97.5%) of macro-F1 over `labels` across `resamples` resamples of the rows with
    replacement, drawn by `random.Random(seed)`: the same inputs always give the same interval."""
    n = len(truth)
    if n == 0 or resamples <= 0:
        return 0.0, 1.0
    index = {name: i for i, name in enumerate(labels)}
    # a prediction outside `labels` (possible for a group scored over the labels it has) is index -1: never right
    t = [index[x] for x in truth]
    p = [index.get(x, -1) for x in predicted]
    rng = random.Random(seed)
    values = []
    for _ in range(resamples):
        rows = [rng.randrange(n) for _ in range(n)]
        values.append(macro_f1([t[i] for i in rows], [p[i] for i in rows], len(labels)))
    values.sort()
    low = values[max(0, math.floor(0.025 * resamples))]
    high = values[min(resamples - 1, math.ceil(0.975 * resamples) - 1)]
    return low, high


@dataclass(frozen=True)
class Interval:
    """A figure and its 95% interval."""

    value: float
    low: float
    high: float


@dataclass(frozen=True)
class Figures:
    """A set's size, accuracy (Wilson interval) and macro-F1 (bootstrap interval)."""

    n: int
    accuracy: Interval
    macro_f1: Interval


def figures(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str], resamples: int = RESAMPLES
            ) -> Figures:
    """Accuracy and macro-F1 over `labels` (as `score` computes them) with their intervals."""
    report = score(truth, predicted, labels)
    correct = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p)
    return Figures(len(truth), Interval(report.accuracy, *wilson(correct, len(truth))),
                   Interval(report.macro_f1, *bootstrap_macro_f1(truth, predicted, labels, resamples)))
