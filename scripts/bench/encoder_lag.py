"""How long the encoder, busy in a pool thread, keeps the event loop waiting: an in-process lag probe.

    python -m scripts.bench.encoder_lag [--seconds 3] [--out FILE]

onnxruntime releases the GIL while it runs, but tokenising, building the input and the softmax are
Python and hold it. A probe on the event loop sleeps 1 ms again and again and records how late it
wakes: first with the pool idle, then with one pool thread classifying the real-chat mix back to back
(the dispatcher's worst case: its thread never rests). The difference is what the encoder itself costs
the loop, free of the proxy's own load, which makes `/health/liveliness` under saturation too noisy to
read a few milliseconds from (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from plugins.classify.decision import Classifier
from plugins.classify.evaluation import percentile
from plugins.classify.onnx_encoder import PACKAGED_ENCODER, EncoderClassifier
from plugins.prompt import Prompt
from scripts.bench.chat_mix import chat_mix
from scripts.bench.classifier import publish

SLEEP_S = 0.001


async def probe(seconds: float) -> list[float]:
    """How late (ms) each 1 ms sleep on the loop wakes, for `seconds`."""
    lags: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        started = time.perf_counter()
        await asyncio.sleep(SLEEP_S)
        lags.append((time.perf_counter() - started - SLEEP_S) * 1000)
    return lags


def summary(lags: Sequence[float]) -> dict[str, float]:
    return {"samples": len(lags), "p50_ms": round(percentile(lags, 50), 3), "p99_ms": round(percentile(lags, 99), 3),
            "max_ms": round(max(lags), 3)}


async def measure(classifier: Classifier, seconds: float) -> dict[str, Any]:
    mix = [Prompt(latest=p) for p in chat_mix()]
    stop = threading.Event()

    def busy() -> int:
        calls = 0
        while not stop.is_set():
            classifier.classify(mix[calls % len(mix)])
            calls += 1
        return calls

    idle = await probe(seconds)
    with ThreadPoolExecutor(1) as pool:
        calls = pool.submit(busy)
        loaded = await probe(seconds)
        stop.set()
        count = calls.result()
    quiet, busy_loop = summary(idle), summary(loaded)
    return {"idle": quiet, "encoder_busy": busy_loop, "encoder_calls": count,
            "p99_added_ms": round(busy_loop["p99_ms"] - quiet["p99_ms"], 3)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", type=Path, default=PACKAGED_ENCODER)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--out", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    results = asyncio.run(measure(EncoderClassifier.load(args.model, "general"), args.seconds))
    idle, busy = results["idle"], results["encoder_busy"]
    publish([f"event-loop lag probe ({SLEEP_S * 1000:.0f} ms sleeps), idle: p50 {idle['p50_ms']} p99 {idle['p99_ms']} "
             f"max {idle['max_ms']} ms; encoder busy in a pool thread ({results['encoder_calls']} calls): "
             f"p50 {busy['p50_ms']} p99 {busy['p99_ms']} max {busy['max_ms']} ms; "
             f"p99 added {results['p99_added_ms']:+.3f} ms"], results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
