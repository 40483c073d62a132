"""The `agent-router` command: classify JSON Lines from stdin, or evaluate a classifier on a labelled file.

    agent-router classify [--config FILE] [--classifier KIND] [--hybrid-base KIND] < prompts.jsonl > decisions.jsonl
    agent-router eval --data FILE [--config FILE] [--classifier KIND] [--hybrid-base KIND] [--repeat N] [--json]

Each input line has `id` and either `prompt` (a string) or `messages` (OpenAI chat messages); `eval`
also needs `label`, and an optional `source` (`dataset:subset`, FORMAT.md) adds per-source figures. `eval`
also prints the calibration table: how often decisions in each confidence band are right. The classifier
is the one the config selects unless `--classifier` overrides it (`encoder` included; `--hybrid-base` picks
the model classifier `hybrid` mixes its keywords into). The classifier is called directly: the proxy's
deadline and fallback (router_hooks/dispatch.py) are not in the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO, get_args

from plugins.classify.breakdown import Band, calibration, per_source
from plugins.classify.build import build_classifier
from plugins.classify.decision import Classifier
from plugins.classify.evaluation import Report, percentile, score
from plugins.config import ClassifierKind, ConfigError, RouterConfig, load_config
from plugins.prompt import Prompt, PromptError
from plugins.surfaces.chat import read_messages as extract_prompt

DEFAULT_CONFIG = "litellm_config.yaml"
CLASSIFIERS: tuple[ClassifierKind, ...] = get_args(ClassifierKind)


def prompt_of(row: Any) -> Prompt:
    """The Prompt of one input line: `prompt` (a string) or `messages` (a chat conversation)."""
    if not isinstance(row, dict):
        raise PromptError("each line must be a JSON object")
    if isinstance(row.get("prompt"), str):
        return Prompt(latest=row["prompt"])
    if "messages" in row:
        return extract_prompt(row["messages"])
    raise PromptError("each line needs `prompt` (a string) or `messages` (a list)")


def load(config_path: str, kind: str | None, hybrid_base: str | None = None) -> tuple[RouterConfig, Classifier, float]:
    """The config, its classifier (kind and hybrid's base overridden if asked) and the seconds the
    classifier took to load."""
    config = load_config(config_path)
    overrides = {key: value for key, value in (("classifier", kind), ("hybrid_base", hybrid_base)) if value}
    if overrides:
        config = config.model_copy(update=overrides)
    started = time.perf_counter()
    classifier = build_classifier(config)
    return config, classifier, time.perf_counter() - started


def classify_stream(classifier: Classifier, lines: TextIO, out: TextIO) -> int:
    """Writes one JSON line per non-blank input line, in order; returns how many lines failed."""
    failures = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        row: Any = None
        try:
            row = json.loads(line)
            decision = classifier.classify(prompt_of(row))
            result: dict[str, Any] = {
                "id": row.get("id"), "intent": decision.intent,
                "confidence": decision.confidence, "scores": dict(decision.scores),
            }
        except (json.JSONDecodeError, PromptError) as exc:
            failures += 1
            row_id = row.get("id") if isinstance(row, dict) else None
            result = {"id": row_id, "error": f"line {number}: {exc}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return failures


def evaluate(
    classifier: Classifier, rows: Sequence[dict[str, Any]], labels: Sequence[str], repeat: int,
    thresholds: tuple[float, float] = (0.7, 0.4), subsets: bool = False,
) -> dict[str, Any]:
    """Scores, per-source scores, the calibration bands (`thresholds` = high, medium) and latencies."""
    prompts = [prompt_of(r) for r in rows]
    truth = [str(r["label"]) for r in rows]
    sources = [str(r.get("source", "")) for r in rows]
    predicted: list[str] = []
    confidences: list[float] = []
    latencies: list[float] = []
    cpu: list[float] = []
    for prompt in prompts:
        for _ in range(repeat):
            # Wall time includes waiting for the CPU on a busy host; thread CPU time is the cost itself.
            started, started_cpu = time.perf_counter(), time.thread_time()
            decision = classifier.classify(prompt)
            cpu.append(time.thread_time() - started_cpu)
            latencies.append(time.perf_counter() - started)
        predicted.append(decision.intent)
        confidences.append(decision.confidence)
    report = score(truth, predicted, labels)
    correct = [p == t for p, t in zip(predicted, truth, strict=True)]
    return {
        "report": report, "latencies": latencies, "cpu": cpu, "predicted": predicted,
        "by_source": per_source(truth, predicted, sources, labels, subsets) if any(sources) else {},
        "calibration": calibration(confidences, correct, *thresholds),
    }


def render_breakdown(by_source: dict[str, Report], bands: Sequence[Band], out: TextIO) -> None:
    if by_source:
        out.write(f"\n{'source':<40}{'n':>6}{'accuracy':>10}{'macro-F1':>10}\n")
        for source, r in by_source.items():
            n = sum(c.support for c in r.per_class.values())
            out.write(f"{source:<40}{n:>6}{r.accuracy:>10.4f}{r.macro_f1:>10.4f}\n")
    out.write(f"\n{'calibration':<12}{'range':>14}{'n':>7}{'mean conf':>11}{'accuracy':>10}\n")
    for b in bands:
        out.write(f"{b.name:<12}{f'[{b.lower:.2f}, {b.upper:.2f})':>14}{b.count:>7}"
                  f"{b.mean_confidence:>11.4f}{b.accuracy:>10.4f}\n")


def breakdown_json(by_source: dict[str, Report], bands: Sequence[Band]) -> dict[str, Any]:
    return {
        "by_source": {s: {"n": sum(c.support for c in r.per_class.values()), "accuracy": round(r.accuracy, 4),
                          "macro_f1": round(r.macro_f1, 4)} for s, r in by_source.items()},
        "calibration": [{"band": b.name, "lower": b.lower, "upper": b.upper, "n": b.count,
                         "mean_confidence": round(b.mean_confidence, 4), "accuracy": round(b.accuracy, 4)}
                        for b in bands],
    }


def render(
    report: Report, latencies: Sequence[float], cpu: Sequence[float], kind: str, load_seconds: float, out: TextIO
) -> None:
    out.write(f"classifier: {kind}  (loaded in {load_seconds * 1000:.0f} ms)\n")
    out.write(f"examples: {sum(r.support for r in report.per_class.values())}\n")
    out.write(f"accuracy: {report.accuracy:.4f}\nmacro-F1: {report.macro_f1:.4f}\n\n")
    out.write(f"{'intent':<12}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}\n")
    for name, c in report.per_class.items():
        out.write(f"{name:<12}{c.precision:>10.4f}{c.recall:>10.4f}{c.f1:>10.4f}{c.support:>9}\n")
    out.write("\nconfusion (rows: true, columns: predicted)\n")
    out.write(f"{'':<12}" + "".join(f"{n:>11}" for n in report.labels) + "\n")
    for name in report.labels:
        row = report.confusion[name]
        out.write(f"{name:<12}" + "".join(f"{row.get(n, 0):>11}" for n in report.labels) + "\n")
    for name, values in (("wall", latencies), ("cpu", cpu)):
        ms = _ms(values)
        out.write(f"{'' if name == 'cpu' else chr(10)}latency per request, {name} ms (n={ms['n']}): "
                  f"p50 {ms['p50']:.3f}  p99 {ms['p99']:.3f}  max {ms['max']:.3f}\n")


def _ms(values: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in values]
    return {"n": len(ms), "p50": round(percentile(ms, 50), 4), "p99": round(percentile(ms, 99), 4),
            "max": round(max(ms), 4)}


def as_json(
    report: Report, latencies: Sequence[float], cpu: Sequence[float], kind: str, load_seconds: float
) -> dict[str, Any]:
    return {
        "classifier": kind, "load_seconds": round(load_seconds, 4),
        "accuracy": round(report.accuracy, 4), "macro_f1": round(report.macro_f1, 4),
        "per_class": {n: {"precision": round(c.precision, 4), "recall": round(c.recall, 4),
                          "f1": round(c.f1, 4), "support": c.support} for n, c in report.per_class.items()},
        "confusion": report.confusion,
        "latency_ms": _ms(latencies),
        "cpu_ms": _ms(cpu),
    }


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="agent-router", description="Intent classification tools.")
    sub = top.add_subparsers(dest="command", required=True)
    for name, text in (("classify", "classify JSON Lines from stdin"), ("eval", "evaluate on a labelled file")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--config", default=DEFAULT_CONFIG, help=f"LiteLLM config file (default {DEFAULT_CONFIG})")
        cmd.add_argument("--classifier", choices=CLASSIFIERS, help="override the config")
        cmd.add_argument("--hybrid-base", choices=("learned", "encoder"),
                         help="the model classifier `hybrid` mixes keywords into (override the config)")
        if name == "eval":
            cmd.add_argument("--data", required=True, type=Path, help="JSON Lines with id, prompt|messages, label")
            cmd.add_argument("--repeat", type=int, default=1, help="classify each prompt N times (latency)")
            cmd.add_argument("--json", action="store_true", help="print the figures as one JSON object")
            cmd.add_argument("--subsets", action="store_true", help="per `dataset:subset`, not per dataset")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        config, classifier, load_seconds = load(args.config, args.classifier, args.hybrid_base)
    except ConfigError as exc:
        sys.stderr.write(f"agent-router: {exc}\n")
        return 2
    if args.command == "classify":
        return 1 if classify_stream(classifier, sys.stdin, sys.stdout) else 0
    # "\n" only: str.splitlines() also breaks at U+2028 and the like, which JSON strings may hold raw.
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").split("\n") if line.strip()]
    try:
        thresholds = (config.thresholds.high, config.thresholds.medium)
        result = evaluate(classifier, rows, tuple(config.intents), max(args.repeat, 1), thresholds, args.subsets)
    except (PromptError, KeyError, ValueError) as exc:
        sys.stderr.write(f"agent-router: {args.data}: {exc}\n")
        return 2
    if args.json:
        figures = as_json(result["report"], result["latencies"], result["cpu"], classifier.kind, load_seconds)
        figures |= breakdown_json(result["by_source"], result["calibration"])
        sys.stdout.write(json.dumps(figures) + "\n")
    else:
        render(result["report"], result["latencies"], result["cpu"], classifier.kind, load_seconds, sys.stdout)
        render_breakdown(result["by_source"], result["calibration"], sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
