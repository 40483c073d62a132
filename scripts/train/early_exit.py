"""An early exit for the encoder: most requests are decided after the first layers, the rest by all of them.

Run by `make model` after the int8 model is built and calibrated (or alone on a built artifact,
`python scripts/train/early_exit.py --model DIR`), in `.venv-build`:
1. the int8 graph is tapped after each candidate layer (the output of that layer's second
   LayerNormalization) and run on the training split: mean-pooled hidden states per layer;
2. per layer, an exit head (multinomial logistic regression on the standardised pooled states) is fitted
   to the full model's own calibrated probabilities (soft targets: the softmax of its logits at the
   manifest's temperature), so that an exit answers what the whole model would have answered, with about
   the confidence it would have given;
3. on the held-out fifth (never trained on), the shallowest layer and, for it, the smallest threshold (at
   least 0.9: the high band's 0.7 plus a margin for the head's error, so an exit stays in the band the
   full model would have put it in) at which the exits agree with the full model with a 95 % Wilson lower
   bound of at least AGREEMENT, on the held-out records and on its real-chat turns, are chosen (a bound,
   not the point estimate: the held-out fifth is easier than real traffic, docs/ENCODER.md "Early exit");
4. the graph is rewritten with an ONNX `If`: after that layer the head's probabilities are computed; when
   every row of the batch has a top probability at or above the threshold, the head's logits (times the
   manifest's temperature, so the run-time softmax gives the head's own probabilities) are the output and
   the remaining layers never run; otherwise the remaining layers run as before. Same inputs, same output,
   so the run-time code and every tool that reads `model.onnx` are unchanged.
The choice, every candidate's figures and the held-out figures after the rewrite go into the manifest (`exit`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from plugins.classify.encoder_input import EncoderInput, InputBuilder  # noqa: E402
from plugins.classify.intervals import wilson  # noqa: E402
from plugins.classify.onnx_encoder import EncoderManifest, open_session, run_outputs  # noqa: E402
from scripts.train.build_model import sha256  # noqa: E402
from scripts.train.calibrate import CHAT_FAMILIES, CLASSES, figures, softmax  # noqa: E402
from scripts.train.data import family, read_all, split  # noqa: E402
from scripts.train.finetune import onnx_logits  # noqa: E402

CANDIDATE_LAYERS = (6, 8, 9, 10)
THRESHOLDS = (0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999)
# Lower bound (95 % Wilson) on the share of held-out exits, all and real-chat, that decide as the full model does.
AGREEMENT = 0.99
Matrix = npt.NDArray[np.float32]


def layer_outputs(model: Any) -> list[str]:
    """The value after each transformer layer: the embeddings' LayerNormalization comes first, then two per
    layer (after attention, after the feed-forward block); index k is layer k's output (k >= 1)."""
    norms = [n.output[0] for n in model.graph.node if n.op_type == "LayerNormalization"]
    if len(norms) % 2 != 1:
        raise SystemExit(f"expected 2 LayerNormalization nodes per layer plus one, found {len(norms)}")
    return [norms[0], *norms[2::2]]


def tapped(model: Any, layers: Sequence[int]) -> Any:
    """A copy of `model` that also outputs the hidden states after `layers`."""
    import onnx

    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    outputs = layer_outputs(copy)
    for k in layers:
        copy.graph.output.append(onnx.helper.make_tensor_value_info(outputs[k], onnx.TensorProto.FLOAT, None))
    return copy


def pooled_states(model_path: Path, layers: Sequence[int], inputs: Sequence[EncoderInput],
                  threads: int) -> tuple[dict[int, Matrix], Matrix]:
    """Mean-pooled hidden states after each of `layers`, and the model's logits, one input at a time."""
    import onnx

    tap = model_path.with_name("tapped.onnx")
    onnx.save(tapped(onnx.load(str(model_path)), layers), str(tap))
    try:
        session = open_session(tap, threads)
        states: dict[int, list[Matrix]] = {k: [] for k in layers}
        logits: list[Matrix] = []
        for item in inputs:
            out = run_outputs(session, item.ids)
            logits.append(out[0][0])
            for k, hidden in zip(layers, out[1:], strict=True):
                states[k].append(hidden[0].mean(axis=0))
    finally:
        tap.unlink()
    return {k: np.asarray(v, dtype=np.float32) for k, v in states.items()}, np.asarray(logits, dtype=np.float32)


def fit_head(states: Matrix, targets: Matrix) -> tuple[Matrix, Matrix]:
    """Weights (hidden x classes) and bias of a logistic regression on standardised states fitted to soft
    `targets` (rows of class probabilities: each state enters once per class, weighted by that class's
    probability, which is the cross-entropy against the targets), the standardisation folded in so that
    the graph applies one MatMul and one Add."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = states.mean(axis=0), states.std(axis=0) + 1e-6
    n, classes = targets.shape
    standard = (states - mean) / scale
    head = LogisticRegression(C=1.0, max_iter=3000).fit(
        np.concatenate([standard] * classes), np.repeat(np.arange(classes), n),
        sample_weight=np.concatenate([targets[:, k] for k in range(classes)]))
    weights = (head.coef_ / scale).T.astype(np.float32)
    bias = (head.intercept_ - (head.coef_ * (mean / scale)).sum(axis=1)).astype(np.float32)
    return weights, bias


def head_probs(states: Matrix, weights: Matrix, bias: Matrix) -> Matrix:
    return softmax(states @ weights + bias, 1.0)


def wilson_lower(successes: int, n: int) -> float:
    """The lower end of the 95 % Wilson score interval (the one `agent-router eval` reports) for a share of
    successes/n; 0 when n is 0 (no exits, no evidence: a head that never exits is never chosen)."""
    return wilson(successes, n)[0]


def choose(heads: dict[int, tuple[Matrix, Matrix]], held: dict[int, Matrix], full: npt.NDArray[np.int64],
           chat: npt.NDArray[np.bool_]) -> tuple[tuple[int, float] | None, list[dict[str, Any]]]:
    """The shallowest layer and its smallest threshold whose agreement bound meets AGREEMENT on all held-out
    records and on the real-chat ones; every candidate's figures beside it. None when no candidate meets it."""
    table: list[dict[str, Any]] = []
    chosen: tuple[int, float] | None = None
    for k in sorted(heads):
        probs = head_probs(held[k], *heads[k])
        exit_class, confidence = probs.argmax(axis=1), probs.max(axis=1)
        for t in THRESHOLDS:
            taken = confidence >= t
            same = exit_class == full
            bounds = [wilson_lower(int(same[rows].sum()), int(rows.sum())) for rows in (taken, taken & chat)]
            table.append({"layer": k, "threshold": t, "exit_share": round(float(taken.mean()), 4),
                          "agreement": round(float(same[taken].mean()), 4) if taken.any() else 1.0,
                          "agreement_lower": round(bounds[0], 4),
                          "chat_exit_share": round(float(taken[chat].mean()), 4),
                          "chat_agreement_lower": round(bounds[1], 4)})
            if chosen is None and min(bounds) >= AGREEMENT:
                chosen = (k, t)
    return chosen, table


def with_exit(model: Any, layer: int, weights: Matrix, bias: Matrix, threshold: float, temperature: float) -> Any:
    """A copy of `model` rewritten so that the layers after `layer` run only when the exit head is unsure
    (above); `model` itself is left as it is."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model, source = onnx.ModelProto(), model
    model.CopyFrom(source)
    graph = model.graph
    hidden = layer_outputs(model)[layer]
    # Everything downstream of `hidden` moves into the else branch, in the original (topological) order.
    late: set[str] = {hidden}
    rest, early = [], []
    for n in graph.node:
        if any(i in late for i in n.input):
            rest.append(n)
            late.update(n.output)
        else:
            early.append(n)
    if [o.name for o in graph.output] != ["logits"] or "logits" not in late:
        raise SystemExit("the graph's one output, logits, must come after the exit layer")

    for n in rest:  # names are unique across a graph and its branches: the full logits get their own
        n.output[:] = ["exit/full_logits" if o == "logits" else o for o in n.output]

    def const(name: str, value: Any, dtype: Any = np.float32) -> str:
        graph.initializer.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    axis1, axis_last = const("exit/axis1", [1], np.int64), const("exit/axis_last", [-1], np.int64)
    node = helper.make_node
    head = [
        node("Cast", ["attention_mask"], ["exit/mask"], to=TensorProto.FLOAT),
        node("Unsqueeze", ["exit/mask", axis_last], ["exit/mask3"]),
        node("Mul", [hidden, "exit/mask3"], ["exit/masked"]),
        node("ReduceSum", ["exit/masked", axis1], ["exit/sum"], keepdims=0),
        node("ReduceSum", ["exit/mask", axis1], ["exit/count"], keepdims=1),
        node("Max", ["exit/count", const("exit/one", 1.0)], ["exit/count1"]),
        node("Div", ["exit/sum", "exit/count1"], ["exit/pooled"]),
        node("MatMul", ["exit/pooled", const("exit/weights", weights)], ["exit/z"]),
        node("Add", ["exit/z", const("exit/bias", bias)], ["exit/logits"]),
        node("Softmax", ["exit/logits"], ["exit/probs"], axis=-1),
        node("ReduceMax", ["exit/probs", axis1], ["exit/top"], keepdims=0),
        node("ReduceMin", ["exit/top"], ["exit/least"], keepdims=0),
        node("GreaterOrEqual", ["exit/least", const("exit/threshold", threshold)], ["exit/confident"]),
        node("Mul", ["exit/logits", const("exit/temperature", temperature)], ["exit/scaled"]),
    ]

    def logits_info(name: str) -> Any:
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", len(CLASSES)])

    then_branch = helper.make_graph([node("Identity", ["exit/scaled"], ["exit/out"])], "exit_now", [],
                                    [logits_info("exit/out")])
    # The shapes the exporter recorded stay with the values they describe: onnxruntime's fusions need them.
    inner = {o for n in rest for o in n.output}
    else_branch = helper.make_graph(rest, "remaining_layers", [], [logits_info("exit/full_logits")],
                                    value_info=[v for v in graph.value_info if v.name in inner])
    branch = node("If", ["exit/confident"], ["logits"], then_branch=then_branch, else_branch=else_branch)
    new_graph = helper.make_graph([*early, *head, branch], graph.name, list(graph.input), [logits_info("logits")],
                                  initializer=list(graph.initializer),
                                  value_info=[v for v in graph.value_info if v.name not in inner])
    rewritten = helper.make_model(new_graph, opset_imports=list(model.opset_import), ir_version=model.ir_version,
                                  functions=list(model.functions))
    onnx.checker.check_model(rewritten)
    return rewritten


def add_exit(directory: Path, data: Path, threads: int) -> dict[str, Any]:
    """Fit, choose and write the exit into the artifact in `directory` (its model.onnx and manifest.json)."""
    import onnx

    started = time.monotonic()
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    if "exit" in manifest:
        raise SystemExit(f"{directory} already has an exit (manifest 'exit')")
    spec = EncoderManifest.read(directory)  # the run time's reading: budget, characters and cut, defaults included
    builder = InputBuilder.from_file(directory / "tokenizer.json", spec.max_tokens, spec.max_chars, spec.cut)
    train, heldout = split(read_all(data))
    model_path = directory / "model.onnx"
    held_inputs = [builder.for_texts(r.prompt.strip()) for r in heldout]
    train_states, train_logits = pooled_states(model_path, CANDIDATE_LAYERS,
                                               [builder.for_texts(r.prompt.strip()) for r in train], threads)
    held_states, held_logits = pooled_states(model_path, CANDIDATE_LAYERS, held_inputs, threads)
    rule = (f"shallowest layer of {list(CANDIDATE_LAYERS)}, then smallest threshold of {list(THRESHOLDS)}, whose "
            f"exits agree with the full model with a 95 % Wilson lower bound >= {AGREEMENT:.0%} on the held-out "
            "fifth and on its real-chat turns; head: logistic regression (C=1) on mean-pooled states, fitted to "
            "the full model's probabilities at the manifest's temperature on the training split (soft targets)")
    temperature = manifest["calibration"]["temperature"]
    decided = train_logits.argmax(axis=1)
    if len(set(decided.tolist())) < len(CLASSES):  # a model that never decides some class is broken: no exit
        return _no_exit(directory, manifest, rule, [], "the full model never decides some class on the training split")
    targets = softmax(train_logits, temperature)
    heads = {k: fit_head(train_states[k], targets) for k in CANDIDATE_LAYERS}
    chat = np.asarray([family(r) in CHAT_FAMILIES for r in heldout])
    choice, table = choose(heads, held_states, held_logits.argmax(axis=1), chat)
    if choice is None:
        return _no_exit(directory, manifest, rule, table, "no candidate meets the rule")
    layer, threshold = choice
    model = onnx.load(str(model_path))
    weights, bias = heads[layer]
    onnx.save(with_exit(model, layer, weights, bias, threshold, temperature), str(model_path))
    probs = head_probs(held_states[layer], weights, bias)
    taken = probs.max(axis=1) >= threshold
    logits = onnx_logits(model_path, held_inputs, threads)
    expected = np.where(taken[:, None], np.log(probs) * temperature, held_logits)
    # Softmax is shift-invariant: compare the exits' logits after centring them.
    diff = np.abs(_centred(logits) - _centred(expected)).max()
    if diff > 1e-3:
        raise SystemExit(f"the rewritten graph differs from the head and the full model (max |diff| {diff:.4g})")
    y_names = [r.label for r in heldout]
    manifest["exit"] = {
        "layer": layer, "layers": len(layer_outputs(model)) - 1, "threshold": threshold,
        "rule": rule,
        "heldout": {"exit_share": round(float(taken.mean()), 4),
                    "agreement": round(float((logits.argmax(axis=1) == held_logits.argmax(axis=1)).mean()), 4),
                    "graph_max_abs_diff": round(float(diff), 6),
                    "int8_with_exit": figures(y_names, logits, temperature),
                    "real_chat_int8_with_exit": figures([n for n, c in zip(y_names, chat, strict=True) if c],
                                                        logits[chat], temperature)},
        "candidates": table,
        "seconds": round(time.monotonic() - started),
    }
    manifest["files"]["model.onnx"] = sha256(model_path)
    _write(directory, manifest)
    return dict(manifest["exit"])


def _no_exit(directory: Path, manifest: dict[str, Any], rule: str, table: list[dict[str, Any]],
             reason: str) -> dict[str, Any]:
    """The model ships whole: every request runs every layer; the manifest says why."""
    print(f"{reason}: {directory} keeps every layer", file=sys.stderr)
    manifest["exit"] = {"layer": None, "reason": reason, "rule": rule, "candidates": table}
    _write(directory, manifest)
    return dict(manifest["exit"])


def _write(directory: Path, manifest: dict[str, Any]) -> None:
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n",
                                             encoding="utf-8")


def _centred(logits: Matrix) -> Matrix:
    return np.asarray(logits - logits.mean(axis=1, keepdims=True), dtype=np.float32)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="a built encoder artifact directory")
    parser.add_argument("--data", type=Path, default=ROOT / "data")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    print(json.dumps(add_exit(args.model, args.data, args.threads), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
