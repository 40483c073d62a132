"""Per-request cost of a classifier on one thread, by prompt length, plus the learned model's load time.

    python -m scripts.bench_classifier [--classifier learned|keyword|hybrid] [--n 300]

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
from collections.abc import Sequence
from pathlib import Path

from plugins.classifier_learned import PACKAGED_MODEL, LearnedClassifier
from plugins.cli import load
from plugins.decision import Classifier
from plugins.evaluation import percentile
from plugins.prompt import Prompt
from scripts.training_data import read_all

ROOT = Path(__file__).resolve().parent.parent
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


def line(name: str, wall: list[float], cpu: list[float]) -> str:
    return (f"{name:<28} wall p50 {percentile(wall, 50):6.3f}  p99 {percentile(wall, 99):6.3f}   "
            f"cpu p50 {percentile(cpu, 50):6.3f}  p99 {percentile(cpu, 99):6.3f}  ms")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--classifier", default="learned", choices=("keyword", "learned", "hybrid"))
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args(argv)
    _, classifier, _ = load(str(ROOT / "litellm_config.yaml"), args.classifier)
    text = corpus()
    print(f"classifier {args.classifier}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for length in LENGTHS:
        items = [Prompt(latest=p) for p in prompts(text, length, args.n)]
        print(line(f"{length:>6} chars", *measure(classifier, items)))
    long = prompts(text, 30_000, 5 * args.n)
    conversations = [
        Prompt(latest=long[i][:200], context=(long[i + 1], long[i + 2], long[i + 3]), system=long[i + 4])
        for i in range(0, len(long) - 4, 5)
    ]
    print(line("conversation (worst case)", *measure(classifier, conversations)))
    loads = []
    for _ in range(5):
        started = time.perf_counter()
        LearnedClassifier.load(PACKAGED_MODEL, "general", 0.3)
        loads.append(time.perf_counter() - started)
    size = sum(p.stat().st_size for p in PACKAGED_MODEL.iterdir())
    print(f"learned model load: median {statistics.median(loads) * 1000:.0f} ms, max {max(loads) * 1000:.0f} ms; "
          f"artifact {size / 1e6:.1f} MB in {PACKAGED_MODEL.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
