"""Scoring and calibrating the encoder's logits (finetune.py, report.py, early_exit.py): the class order, the
temperature the build fits on the held-out fifth, and the figures a manifest records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from plugins.classify.evaluation import score

CLASSES = ("code", "general", "reasoning")
# Sources of real user turns in the held-out fifth: the calibration target is real chat.
CHAT_FAMILIES = ("wildchat", "hh-rlhf", "prism")
T_GRID = tuple(round(0.5 + 0.05 * i, 2) for i in range(91))  # 0.5 .. 5.0
Matrix = npt.NDArray[np.float32]


def softmax(logits: Matrix, temperature: float) -> Matrix:
    z = logits.astype(np.float64) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float32)


def log_loss(logits: Matrix, y: npt.NDArray[np.int64], temperature: float) -> float:
    probs = softmax(logits, temperature)
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, 1.0))))


def high_band(probs: Matrix, y: npt.NDArray[np.int64], threshold: float = 0.7) -> tuple[int, float]:
    confident = probs.max(axis=1) >= threshold
    if not confident.any():
        return 0, 1.0
    return int(confident.sum()), float((probs.argmax(axis=1)[confident] == y[confident]).mean())


def fit_temperature(logits: Matrix, y: npt.NDArray[np.int64],
                    chat: npt.NDArray[np.bool_]) -> tuple[float, dict[str, Any]]:
    best_nll = min(T_GRID, key=lambda t: log_loss(logits, y, t))
    chosen = next((t for t in T_GRID if t >= best_nll and high_band(softmax(logits[chat], t), y[chat])[1] >= 0.95),
                  T_GRID[-1])
    return chosen, {"method": "max(log-loss optimum on held-out, smallest T with held-out real chat >= 95 % "
                              "right at confidence >= 0.7)", "log_loss_optimum": best_nll}


def figures(y: Sequence[str], logits: Matrix, temperature: float) -> dict[str, Any]:
    probs = softmax(logits, temperature)
    predicted = [CLASSES[i] for i in probs.argmax(axis=1)]
    report = score(y, predicted, CLASSES)
    idx = np.asarray([CLASSES.index(v) for v in y], dtype=np.int64)
    n_high, right_high = high_band(probs, idx)
    return {"records": len(y), "accuracy": round(report.accuracy, 4), "macro_f1": round(report.macro_f1, 4),
            "per_class_f1": {c: round(report.per_class[c].f1, 4) for c in CLASSES},
            "high_band": {"n": n_high, "right": round(right_high, 4)}}
