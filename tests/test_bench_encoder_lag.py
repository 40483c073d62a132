"""The in-process event-loop lag probe (scripts/bench/encoder_lag.py), driven by a stand-in classifier:
the figures' shape and that the pool thread really ran while the loop was probed (not the timings)."""

from __future__ import annotations

import asyncio
import threading

from scripts.bench.encoder_lag import measure, summary
from tests.support.classifiers import FixedClassifier


def test_the_probe_samples_the_loop_idle_and_with_the_pool_thread_busy() -> None:
    classifier = FixedClassifier("encoder", "code")
    results = asyncio.run(measure(classifier, seconds=0.05))
    assert results["idle"]["samples"] > 0 and results["encoder_busy"]["samples"] > 0
    assert results["encoder_calls"] == len(classifier.prompts) > 0
    assert threading.get_ident() not in set(classifier.threads)  # classified off the loop's thread
    assert results["p99_added_ms"] == round(results["encoder_busy"]["p99_ms"] - results["idle"]["p99_ms"], 3)


def test_summary_gives_nearest_rank_percentiles_and_the_worst_sample() -> None:
    assert summary([1.0, 2.0, 3.0, 4.0]) == {"samples": 4, "p50_ms": 2.0, "p99_ms": 4.0, "max_ms": 4.0}
