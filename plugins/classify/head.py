"""The trained linear head: dense features and a bag of tokens -> temperature-scaled softmax.

logits = W @ (x - mean) / scale + b + sum(token_weights[t] for t in set(tokens)) / sqrt(#set(tokens))

The dense part is plain JSON numbers (`head.json`), the per-token part a float32 `.npy` table
(`token_weights.npy`, one row per vocabulary entry); never a pickle: loading runs no code.
"""

from __future__ import annotations

import dataclasses
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
    token_weights: npt.NDArray[np.float32] | None = None  # (vocabulary, classes)

    def __post_init__(self) -> None:
        k, d = len(self.classes), len(self.feature_names)
        shapes = {"weights": (k, d), "bias": (k,), "mean": (d,), "scale": (d,)}
        for name, shape in shapes.items():
            if getattr(self, name).shape != shape:
                raise ValueError(f"head.{name} has shape {getattr(self, name).shape}, expected {shape}")
        if self.token_weights is not None and (
            self.token_weights.ndim != 2 or self.token_weights.shape[1] != k
        ):
            raise ValueError(f"head.token_weights has shape {self.token_weights.shape}, expected (vocabulary, {k})")
        if not self.temperature > 0.0:
            raise ValueError(f"head.temperature must be positive, not {self.temperature}")

    def probabilities(self, features: Vector, tokens: Sequence[int] = ()) -> Vector:
        """Class probabilities from the dense features and the text's distinct token ids."""
        z = (features - self.mean) / self.scale
        logits = self.weights @ z + self.bias
        if self.token_weights is not None and tokens:
            logits = logits + self.token_weights[list(tokens)].sum(axis=0) / np.sqrt(len(tokens))
        logits = logits / self.temperature
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
    def load(cls, directory: Path) -> IntentHead:
        """`head.json` and, when present, `token_weights.npy` from an artifact directory."""
        head = cls.from_json(json.loads((directory / "head.json").read_text(encoding="utf-8")))
        tokens = directory / "token_weights.npy"
        if tokens.exists():
            table = np.load(tokens, allow_pickle=False).astype(np.float32)
            head = dataclasses.replace(head, token_weights=table)
        return head


def feature_names(embedding_dim: int, structural: Sequence[str]) -> tuple[str, ...]:
    """Column names of the feature vector: `emb0..embN-1` then the structural features."""
    return tuple(f"emb{i}" for i in range(embedding_dim)) + tuple(structural)
