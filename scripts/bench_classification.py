"""The classifier alone: per-request latency for short, medium and long prompts, one thread.

Times `classify()` on whatever `plugins.classifiers.build_classifier` builds from the given config,
so a new classifier kind is measured as soon as the shipped config selects it.
"""

from __future__ import annotations

import time
from pathlib import Path

from plugins.classifiers import build_classifier
from plugins.config import load_config
from plugins.prompt import Prompt
from scripts.bench_load import percentile

SIZES = {"short": 50, "medium": 2_000, "long": 30_000}
# Text with a mix of the three intents' vocabulary, so keyword-style classifiers scan all of it.
SEED = (
    "Please help me write a short essay on the history of Rome, then solve 12 * 7 step by step, "
    "and finally explain what this Python function returns: def area(r): return 3.14 * r * r. "
    "I also wonder how many people visited the Colosseum last year, on average, per day. "
)


def prompt_of(chars: int) -> str:
    text = SEED * (chars // len(SEED) + 1)
    return text[:chars]


def bench_classifier(config_path: Path, budget_s: float = 4.0, max_iterations: int = 2_000) -> dict[str, object]:
    """{"kind", "short": {...}, ...}: wall-clock and CPU p50/p99 per call; up to `budget_s` a size."""
    classifier = build_classifier(load_config(config_path))
    results: dict[str, object] = {"kind": classifier.kind}
    for name, chars in SIZES.items():
        prompt = Prompt(latest=prompt_of(chars))
        for _ in range(5):  # warm caches (compiled patterns, lazily loaded tables)
            classifier.classify(prompt)
        samples: list[float] = []
        cpu: list[float] = []  # this thread's CPU time: what the call costs, whatever else runs
        stop = time.perf_counter() + budget_s
        while len(samples) < max_iterations and time.perf_counter() < stop:
            started, cpu_started = time.perf_counter(), time.thread_time()
            classifier.classify(prompt)
            cpu.append((time.thread_time() - cpu_started) * 1000.0)
            samples.append((time.perf_counter() - started) * 1000.0)
        results[name] = {
            "chars": chars,
            "iterations": len(samples),
            "p50_ms": round(percentile(samples, 50), 4),
            "p99_ms": round(percentile(samples, 99), 4),
            "cpu_p50_ms": round(percentile(cpu, 50), 4),
            "cpu_p99_ms": round(percentile(cpu, 99), 4),
        }
    return results
