"""The `agent-router` command: classify JSON Lines from stdin, or evaluate a classifier on a labelled file.

    agent-router classify [--config FILE] [--classifier KIND] [--hybrid-base KIND] < prompts.jsonl > decisions.jsonl
    agent-router eval --data FILE [--config FILE] [--classifier KIND | --model DIR ...] [--hybrid-base KIND]
                      [--repeat N] [--json]

Each input line has `id` and either `prompt` (a string) or `messages` (OpenAI chat messages); `eval`
also needs `label`; an optional `source` (`dataset:subset`, FORMAT.md) adds per-source figures and an optional
`lang` (ISO 639-1; a line without one is English) per-language figures. Accuracy comes with a Wilson 95%
interval and macro-F1 with a seeded bootstrap one (`--bootstrap N` resamples). `eval` also prints the
calibration table: how often decisions in each confidence band are right. The classifier is the one the config
selects unless `--classifier` overrides it; `--model DIR` (repeatable) evaluates the model directories instead,
each by the kind its manifest.json names, and prints them side by side. `--classifier` takes every kind the
config does (`encoder` included); `--hybrid-base` picks the model classifier `hybrid` mixes its keywords into.
Classifiers are called directly: the proxy's deadline and fallback (router_hooks/dispatch.py) are not in the
figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO, get_args

from plugins.capture.rows import is_capture, joined
from plugins.classify.breakdown import calibration, language_of, per_group, per_source
from plugins.classify.build import build_classifier, load_directory
from plugins.classify.decision import Classifier
from plugins.classify.evaluation import score
from plugins.classify.intervals import RESAMPLES, figures
from plugins.config import ClassifierKind, ConfigError, RouterConfig, load_config
from plugins.eval_report import Evaluation, as_json, render, render_side_by_side
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


def overridden(config: RouterConfig, kind: str | None, hybrid_base: str | None = None) -> RouterConfig:
    """The config with the classifier and hybrid's base the command line names, if it names them."""
    changes = {key: value for key, value in (("classifier", kind), ("hybrid_base", hybrid_base)) if value}
    return config.model_copy(update=changes) if changes else config


def load(config_path: str, kind: str | None, hybrid_base: str | None = None) -> tuple[RouterConfig, Classifier, float]:
    """The config, its classifier (kind and hybrid's base overridden if asked) and the seconds the
    classifier took to load."""
    config = overridden(load_config(config_path), kind, hybrid_base)
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
    thresholds: tuple[float, float] = (0.7, 0.4), subsets: bool = False, resamples: int = RESAMPLES,
    name: str | None = None, load_seconds: float = 0.0,
) -> Evaluation:
    """Scores with intervals, per-source and per-language figures, the calibration bands (`thresholds` = high,
    medium) and latencies."""
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
    correct = [p == t for p, t in zip(predicted, truth, strict=True)]
    return Evaluation(
        name=name or classifier.kind, kind=classifier.kind, load_seconds=load_seconds,
        report=score(truth, predicted, labels), overall=figures(truth, predicted, labels, resamples),
        latencies=latencies, cpu=cpu, predicted=predicted,
        by_source=per_source(truth, predicted, sources, labels, subsets) if any(sources) else {},
        by_lang=per_group(truth, predicted, [language_of(r.get("lang")) for r in rows], labels, resamples),
        calibration=calibration(confidences, correct, *thresholds),
    )


def classifiers(config: RouterConfig, kind: str | None, models: Sequence[Path], hybrid_base: str | None = None
                ) -> list[tuple[str, Classifier, float]]:
    """(name, classifier, load seconds) for each `--model` directory, else the config's classifier."""
    if not models:
        config = overridden(config, kind, hybrid_base)
        started = time.perf_counter()
        classifier = build_classifier(config)
        return [(classifier.kind, classifier, time.perf_counter() - started)]
    out = []
    for directory in models:
        started = time.perf_counter()
        classifier = load_directory(config, directory)
        out.append((str(directory), classifier, time.perf_counter() - started))
    return out


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
            cmd.add_argument("--data", required=True, type=Path,
                             help="JSON Lines with id, prompt|messages, label; or capture files (a file or "
                                  "their directory): rows with feedback are scored")
            cmd.add_argument("--repeat", type=int, default=1, help="classify each prompt N times (latency)")
            cmd.add_argument("--json", action="store_true", help="print the figures as one JSON object")
            cmd.add_argument("--subsets", action="store_true", help="per `dataset:subset`, not per dataset")
            cmd.add_argument("--model", type=Path, action="append", default=[], metavar="DIR",
                             help="a model directory (its manifest.json names the kind); repeat to compare "
                                  "several side by side (instead of the config's classifier)")
            cmd.add_argument("--bootstrap", type=int, default=RESAMPLES, metavar="N",
                             help=f"bootstrap resamples for the macro-F1 intervals (default {RESAMPLES})")
    return top


def read_rows(data: Path) -> list[dict[str, Any]]:
    """The JSON Lines of a file, or of every `*.jsonl` in a directory (a capture directory: feedback
    may sit in another worker's file than its decision)."""
    files = sorted(data.glob("*.jsonl")) if data.is_dir() else [data]
    # "\n" only: str.splitlines() also breaks at U+2028 and the like, which JSON strings may hold raw.
    return [json.loads(line) for path in files
            for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    models: list[Path] = getattr(args, "model", [])
    if models and args.classifier is not None:
        sys.stderr.write("agent-router: --model and --classifier are alternatives: the manifest names the kind\n")
        return 2
    try:
        if args.command == "classify":
            _, classifier, _ = load(args.config, args.classifier, args.hybrid_base)
            return 1 if classify_stream(classifier, sys.stdin, sys.stdout) else 0
        config = load_config(args.config)
        loaded = classifiers(config, args.classifier, models, args.hybrid_base)
    except ConfigError as exc:
        sys.stderr.write(f"agent-router: {exc}\n")
        return 2
    rows = read_rows(args.data)
    if is_capture(rows):
        capture = joined(rows)
        sys.stderr.write(f"agent-router: {args.data}: capture: {len(capture.rows)} rows with feedback scored; "
                         f"{capture.unlabelled} decisions without feedback skipped, {capture.orphans} feedback "
                         "lines whose decision is in no file given\n")
        rows = capture.rows
        if not rows:
            sys.stderr.write(f"agent-router: {args.data}: no captured decision has feedback yet: nothing to score\n")
            return 2
    thresholds = (config.thresholds.high, config.thresholds.medium)
    try:
        results = [evaluate(classifier, rows, tuple(config.intents), max(args.repeat, 1), thresholds, args.subsets,
                            args.bootstrap, name, seconds) for name, classifier, seconds in loaded]
    except (PromptError, KeyError, ValueError) as exc:
        sys.stderr.write(f"agent-router: {args.data}: {exc}\n")
        return 2
    if args.json:
        # one classifier: its figures as one object (as before --model existed); several: {"models": [...]}
        figures_out: dict[str, Any] = as_json(results[0]) if len(results) == 1 else {
            "models": [as_json(r) for r in results]}
        sys.stdout.write(json.dumps(figures_out) + "\n")
        return 0
    for i, result in enumerate(results):
        sys.stdout.write("\n" if i else "")
        render(result, sys.stdout)
    if len(results) > 1:
        render_side_by_side(results, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
