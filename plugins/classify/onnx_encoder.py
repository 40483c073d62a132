"""The fine-tuned encoder classifier: a transformer exported to ONNX (int8), run by onnxruntime.

Pure and synchronous like the other classifiers (the CLI and `agent-router eval` call it directly);
inside the proxy it runs off the event loop (router_hooks.dispatch). One forward pass per request:
the latest turn and its context share one token sequence (plugins.classify.encoder_input).
Run-time dependencies: onnxruntime, tokenizers, numpy; no torch, no network.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from plugins.classify.decision import Decision
from plugins.classify.encoder_input import CUTS, HEAD, InputBuilder
from plugins.prompt import Prompt

# The artifact ships as package data of `plugins` (plugins/models), beside the code that reads it.
PACKAGED_ENCODER = Path(__file__).parent.parent / "models" / "intent-encoder-v5"
KIND = "encoder"
# onnxruntime's fused SkipLayerNormalization kernel (1.32, AVX-512 host) took 127 us on 64 x 384 values where
# the unfused Add + LayerNormalization took 23 us: without the fusion a 64-token call costs 12.2 ms, not
# 14.6 (docs/ENCODER.md, "What it costs"). The two give the same fp32 results (max |difference| 3e-6).
DISABLED_FUSIONS = ("SkipLayerNormFusion",)


def open_session(path: Path, threads: int, disabled: Sequence[str] = DISABLED_FUSIONS) -> Any:
    """An onnxruntime session for the ONNX model at `path`, as the proxy runs it: `threads` intra-op threads,
    sequential, without the `disabled` graph fusions. The build scores and calibrates through it too;
    scripts/bench/fusions.py compares it with onnxruntime's full set of fusions."""
    import onnxruntime  # imported here: the proxy with `learned` never loads onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    # onnxruntime's own warnings (e.g. about unused initializers) are not the operator's concern.
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"],
                                        disabled_optimizers=list(disabled))


def run_outputs(session: Any, ids: Sequence[int]) -> list[Any]:
    """Every output of the model for one token sequence: batch 1, every token attended, as the proxy feeds it."""
    batch = np.asarray([ids], dtype=np.int64)
    return list(session.run(None, {"input_ids": batch, "attention_mask": np.ones_like(batch)}))


def run_logits(session: Any, ids: Sequence[int]) -> npt.NDArray[np.float32]:
    """The model's logits for one token sequence (its first output, batch row 0)."""
    return np.asarray(run_outputs(session, ids)[0][0], dtype=np.float32)


@dataclass(frozen=True)
class EncoderManifest:
    """What the run time reads from the artifact's manifest.json (the rest is provenance)."""

    classes: tuple[str, ...]
    temperature: float
    max_tokens: int
    max_chars: int
    cut: str = HEAD  # how a long latest turn is cut to the budget (encoder_input.CUTS); older artifacts: head

    @classmethod
    def read(cls, directory: Path) -> EncoderManifest:
        raw = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        if raw.get("kind") != KIND:
            raise ValueError(f"{directory}: manifest kind is {raw.get('kind')!r}, not {KIND!r}")
        runtime = raw["runtime"]
        classes = tuple(str(c) for c in raw["classes"])
        temperature = float(raw["calibration"]["temperature"])
        if temperature <= 0:
            raise ValueError(f"{directory}: temperature must be positive, not {temperature}")
        cut = str(runtime.get("cut", HEAD))
        if cut not in CUTS:
            raise ValueError(f"{directory}: runtime cut must be one of {CUTS}, not {cut!r}")
        return cls(classes, temperature, int(runtime["max_tokens"]), int(runtime["max_chars"]), cut)


class EncoderClassifier:
    kind = KIND

    def __init__(self, session: Any, builder: InputBuilder, manifest: EncoderManifest,
                 default_intent: str) -> None:
        if default_intent not in manifest.classes:
            raise ValueError(f"default intent {default_intent!r} is not a class of the model {manifest.classes}")
        names = [i.name for i in session.get_inputs()]
        if names != ["input_ids", "attention_mask"]:
            raise ValueError(f"the ONNX model takes {names}, not ['input_ids', 'attention_mask']")
        self._session = session
        self._builder = builder
        self._manifest = manifest
        self._default_intent = default_intent

    @classmethod
    def load(cls, directory: Path, default_intent: str, max_chars: int | None = None,
             threads: int = 1) -> EncoderClassifier:
        """The artifact in `directory`, on `threads` intra-op threads (one request at a time each)."""
        manifest = EncoderManifest.read(directory)
        session = open_session(directory / "model.onnx", threads)
        limit = manifest.max_chars if max_chars is None else min(manifest.max_chars, max_chars)
        builder = InputBuilder.from_file(directory / "tokenizer.json", manifest.max_tokens, limit, manifest.cut)
        return cls(session, builder, manifest, default_intent)

    @property
    def classes(self) -> tuple[str, ...]:
        return self._manifest.classes

    def probabilities(self, prompt: Prompt) -> npt.NDArray[np.float32]:
        """Calibrated class probabilities, in `classes` order."""
        logits = run_logits(self._session, self._builder.for_prompt(prompt).ids)
        scaled = np.asarray(logits, dtype=np.float64) / self._manifest.temperature
        exp = np.exp(scaled - scaled.max())
        return np.asarray(exp / exp.sum(), dtype=np.float32)

    def classify(self, prompt: Prompt) -> Decision:
        if not prompt.latest.strip() and not any(c.strip() for c in prompt.context):
            # No user text at all (empty, whitespace, image-only): nothing to decide, the default serves.
            return Decision(self._default_intent, 0.0, dict.fromkeys(self.classes, 0.0))
        probs = self.probabilities(prompt)
        scores = {c: round(float(v), 4) for c, v in zip(self.classes, probs, strict=True)}
        best = max(scores, key=lambda c: (scores[c], c == self._default_intent))
        return Decision(best, scores[best], scores)
