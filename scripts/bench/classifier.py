"""Per-request cost of a classifier on one thread, by prompt length, plus the learned model's load time.

    python -m scripts.bench.classifier [--classifier learned|keyword|hybrid] [--n 300]

Prompts of 50 to 30,000 characters are cut from held-out training prompts joined end to end, plus a
worst-case conversation (long latest turn, three long earlier turns, a long system prompt). Wall time
includes waiting for the CPU on a busy host; thread CPU time is the cost itself. Both are printed.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from plugins.classify.decision import Classifier
from plugins.classify.evaluation import percentile
from plugins.classify.learned import PACKAGED_MODEL, LearnedClassifier
from plugins.cli import load
from plugins.prompt import Prompt
from scripts.stack import ROOT
from scripts.train.data import read_all

LENGTHS = (50, 200, 1_000, 5_000, 30_000)


def corpus() -> str:
    """Every training and held-out prompt, shuffled and joined: about 200,000 characters of real shapes."""
    texts = [r.prompt for r in read_all(ROOT / "data")]
    random.Random(7).shuffle(texts)
    return "\n\n".join(texts)


def prompts(text: str, length: int, n: int) -> list[str]:
    rng = random.Random(length)
    starts = [rng.randrange(0, len(text) - length) for _ in range(n)]
    return [text[s : s + length] for s in starts]


def measure(classifier: Classifier, items: Sequence[Prompt]) -> tuple[list[float], list[float]]:
    run = classifier.classify
    for item in items[:20]:
        run(item)  # warm-up: first calls fill caches
    wall, cpu = [], []
    for item in items:
        w, c = time.perf_counter(), time.thread_time()
        run(item)
        cpu.append((time.thread_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
    return wall, cpu


def figures(wall: list[float], cpu: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(wall, 50), 4), "p99_ms": round(percentile(wall, 99), 4),
        "cpu_p50_ms": round(percentile(cpu, 50), 4), "cpu_p99_ms": round(percentile(cpu, 99), 4),
    }


def bench_classifier(config_path: Path, kind: str | None = None, n: int = 300) -> dict[str, Any]:
    """The configured (or `kind`) classifier: per-call figures by prompt length, the worst-case
    conversation, and the learned model's load time and size. `make bench` records this dict."""
    _, classifier, _ = load(str(config_path), kind)
    text = corpus()
    results: dict[str, Any] = {"kind": classifier.kind, "n": n, "lengths": {}}
    for length in LENGTHS:
        items = [Prompt(latest=p) for p in prompts(text, length, n)]
        results["lengths"][str(length)] = {"chars": length, **figures(*measure(classifier, items))}
    long = prompts(text, 30_000, 5 * n)
    conversations = [
        Prompt(latest=long[i][:200], context=(long[i + 1], long[i + 2], long[i + 3]), system=long[i + 4])
        for i in range(0, len(long) - 4, 5)
    ]
    results["conversation"] = figures(*measure(classifier, conversations))
    loads = []
    for _ in range(5):
        started = time.perf_counter()
        LearnedClassifier.load(PACKAGED_MODEL, "general", 0.3)
        loads.append(time.perf_counter() - started)
    results["load_ms"] = {"median": round(statistics.median(loads) * 1000), "max": round(max(loads) * 1000)}
    results["artifact_mb"] = round(sum(p.stat().st_size for p in PACKAGED_MODEL.iterdir()) / 1e6, 1)
    return results


def report(results: Mapping[str, Any]) -> list[str]:
    """One line per length, the conversation, and the load time."""
    def line(name: str, f: Mapping[str, float]) -> str:
        return (f"classifier ({results['kind']}) {name:<26} wall p50 {f['p50_ms']:6.3f}  p99 {f['p99_ms']:6.3f}"
                f"   cpu p50 {f['cpu_p50_ms']:6.3f}  p99 {f['cpu_p99_ms']:6.3f}  ms")
    lines = [line(f"{length:>6} chars", f) for length, f in results["lengths"].items()]
    lines.append(line("conversation (worst case)", results["conversation"]))
    lines.append(f"learned model load: median {results['load_ms']['median']} ms, max {results['load_ms']['max']} ms; "
                 f"artifact {results['artifact_mb']} MB")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--classifier", default="learned", choices=("keyword", "learned", "hybrid"))
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("\n".join(report(bench_classifier(ROOT / "litellm_config.yaml", args.classifier, args.n))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
