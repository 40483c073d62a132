"""Classification metrics for `agent-router eval` and the model build: pure functions, no numpy needed."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClassReport:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    labels: tuple[str, ...]
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassReport]
    # confusion[true][predicted] = count
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)


def score(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> Report:
    """Accuracy, macro-F1 over `labels`, per-class precision/recall/F1 and the confusion matrix."""
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} true labels but {len(predicted)} predictions")
    names = tuple(labels)
    confusion = {t: dict.fromkeys(names, 0) for t in names}
    for t, p in zip(truth, predicted, strict=True):
        if t not in confusion:
            raise ValueError(f"true label {t!r} is not one of {names}")
        row = confusion[t]
        row[p] = row.get(p, 0) + 1
    per_class = {}
    for name in names:
        tp = confusion[name][name]
        predicted_as = sum(confusion[t].get(name, 0) for t in names)
        support = sum(confusion[name].values())
        precision = tp / predicted_as if predicted_as else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = ClassReport(precision, recall, f1, support)
    correct = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p)
    accuracy = correct / len(truth) if truth else 0.0
    macro = sum(r.f1 for r in per_class.values()) / len(names) if names else 0.0
    return Report(names, accuracy, macro, per_class, confusion)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100]) of a non-empty sequence."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """Mean |accuracy - confidence| over equal-width confidence bins, weighted by bin size."""
    if not confidences:
        return 0.0
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(confidences) if lo <= c < hi or (b == bins - 1 and c == 1.0)]
        if idx:
            acc = sum(1 for i in idx if correct[i]) / len(idx)
            conf = sum(confidences[i] for i in idx) / len(idx)
            total += len(idx) * abs(acc - conf)
    return total / len(confidences)
