"""The trained linear head: standardised features -> temperature-scaled softmax over intents.

Stored as plain JSON numbers (`head.json` beside the encoder), never as a pickle: loading it runs no
code, and a reviewer can read every weight.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class IntentHead:
    classes: tuple[str, ...]
    feature_names: tuple[str, ...]
    weights: npt.NDArray[np.float32]  # (classes, features)
    bias: npt.NDArray[np.float32]  # (classes,)
    mean: npt.NDArray[np.float32]  # (features,)
    scale: npt.NDArray[np.float32]  # (features,)
    # Fitted on out-of-fold predictions so that a confidence of 0.7 is right about 70% of the time.
    temperature: float

    def __post_init__(self) -> None:
        k, d = len(self.classes), len(self.feature_names)
        shapes = {"weights": (k, d), "bias": (k,), "mean": (d,), "scale": (d,)}
        for name, shape in shapes.items():
            if getattr(self, name).shape != shape:
                raise ValueError(f"head.{name} has shape {getattr(self, name).shape}, expected {shape}")
        if not self.temperature > 0.0:
            raise ValueError(f"head.temperature must be positive, not {self.temperature}")

    def probabilities(self, features: Vector) -> Vector:
        z = (features - self.mean) / self.scale
        logits = (self.weights @ z + self.bias) / self.temperature
        logits = logits - logits.max()
        exp = np.exp(logits)
        return np.asarray(exp / exp.sum(), dtype=np.float32)

    def to_json(self) -> dict[str, Any]:
        def floats(a: npt.NDArray[np.float32]) -> Any:
            return np.round(a.astype(np.float64), 7).tolist()

        return {
            "classes": list(self.classes),
            "feature_names": list(self.feature_names),
            "weights": floats(self.weights),
            "bias": floats(self.bias),
            "mean": floats(self.mean),
            "scale": floats(self.scale),
            "temperature": round(self.temperature, 6),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IntentHead:
        def array(key: str) -> npt.NDArray[np.float32]:
            return np.asarray(data[key], dtype=np.float32)

        return cls(
            classes=tuple(str(c) for c in data["classes"]),
            feature_names=tuple(str(n) for n in data["feature_names"]),
            weights=array("weights"),
            bias=array("bias"),
            mean=array("mean"),
            scale=array("scale"),
            temperature=float(data["temperature"]),
        )

    @classmethod
    def load(cls, path: Path) -> IntentHead:
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def feature_names(embedding_dim: int, structural: Sequence[str]) -> tuple[str, ...]:
    """Column names of the feature vector: `emb0..embN-1` then the structural features."""
    return tuple(f"emb{i}" for i in range(embedding_dim)) + tuple(structural)
