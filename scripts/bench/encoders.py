"""Encoder artifacts side by side: thread CPU of one `classify()` call, by prompt length and over the
real-chat mix, the artifacts taking turns call by call so host noise falls on each alike.

    python -m scripts.bench.encoders --model DIR --model DIR [--n 100] [--out FILE]

Made to compare one artifact with its rebuild (for example the early exit, docs/ENCODER.md, against the
same weights without it, checked out from history): one thread each, the proxy's session, the same
prompts as `make bench-classifier` (scripts/bench/classifier.py). The first model is the reference of
the printed ratios.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from plugins.classify.evaluation import percentile
from plugins.classify.onnx_encoder import EncoderClassifier
from plugins.prompt import Prompt
from scripts.bench.chat_mix import chat_mix
from scripts.bench.classifier import LENGTHS, MIX_PASSES, corpus, prompts, publish, take_turns


def bench_encoders(models: Sequence[Path], n: int = 100) -> dict[str, Any]:
    classifiers = {str(m): EncoderClassifier.load(m, "general").classify for m in models}
    mix = [Prompt(latest=p) for p in chat_mix()]
    take_turns(classifiers, mix[:20])  # warm-up
    text = corpus()
    rows: dict[str, dict[str, Any]] = {}
    for length in LENGTHS:
        cpu = take_turns(classifiers, [Prompt(latest=p) for p in prompts(text, length, n)])
        rows[f"{length} chars"] = {name: _p50_p99(v) for name, v in cpu.items()}
    cpu = take_turns(classifiers, mix * MIX_PASSES)
    rows["real-chat mix"] = {name: {**_p50_p99(v), "mean": round(statistics.mean(v), 3)} for name, v in cpu.items()}
    return {"models": [str(m) for m in models], "n": n, "mix_calls": len(mix) * MIX_PASSES, "cpu_ms": rows}


def _p50_p99(cpu: Sequence[float]) -> dict[str, float]:
    return {"p50": round(percentile(cpu, 50), 3), "p99": round(percentile(cpu, 99), 3)}


def report(results: dict[str, Any]) -> list[str]:
    first, *others = results["models"]
    lines = [f"encoders side by side, thread CPU ms per classify() (p50 / p99); reference {first}"]
    for row_name, row in results["cpu_ms"].items():
        cells = "  ".join(f"{Path(m).name}: {row[m]['p50']:.2f} / {row[m]['p99']:.2f}" for m in results["models"])
        lines.append(f"  {row_name:>14}  {cells}")
    mix = results["cpu_ms"]["real-chat mix"]
    for other in others:
        lines.append(f"  real-chat mix mean: {Path(other).name} {mix[other]['mean']:.3f} ms against "
                     f"{Path(first).name} {mix[first]['mean']:.3f} ms (x{mix[other]['mean'] / mix[first]['mean']:.3f})")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", type=Path, action="append", required=True, help="an encoder artifact (repeat)")
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--out", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    if len(args.model) < 2:
        parser.error("give two or more --model directories")
    results = bench_encoders(args.model, args.n)
    publish(report(results), results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
