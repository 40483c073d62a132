"""Per-request cost of a classifier on one thread, by prompt length and over the real-chat length mix,
plus the model's load time, artifact size and the memory loading it adds.

    python -m scripts.bench.classifier [--classifier learned|keyword|hybrid|encoder] [--n 300]
                                       [--hybrid-base learned|encoder] [--encoder-model DIR] [--out FILE]

Prompts of 50 to 30,000 characters are cut from held-out training prompts joined end to end, plus a
worst-case conversation (a 200-character latest turn, three long earlier turns, a long system
prompt: 200 messages' worth of text) and the load phase's 100 real-chat prompts
(scripts/bench/chat_mix.py). Wall time includes waiting for the CPU on a busy host; thread CPU
time (`time.thread_time`) is the cost itself. Both are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, get_args

from plugins.classify.build import load_encoder, load_learned
from plugins.classify.decision import Classifier
from plugins.classify.evaluation import percentile
from plugins.classify.learned import PACKAGED_MODEL
from plugins.cli import load
from plugins.config import HybridBase, RouterConfig, load_config
from plugins.prompt import Prompt
from scripts.bench.chat_mix import chat_mix
from scripts.stack import ROOT
from scripts.train.data import read_all

LENGTHS = (50, 200, 1_000, 5_000, 30_000)
KINDS = ("keyword", "learned", "hybrid", "encoder")
# Passes over the 100-prompt mix: 300 calls, so the mean is not one slow call's.
MIX_PASSES = 3
ENCODER_MODEL_ENV = "BENCH_ENCODER_MODEL"
T = TypeVar("T")


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


def mix_figures(classifier: Classifier, passes: int = MIX_PASSES) -> dict[str, float]:
    """Mean (and p50/p99) wall and thread CPU per call over the real-chat length mix."""
    wall, cpu = measure(classifier, [Prompt(latest=p) for p in chat_mix()] * passes)
    return {"mean_ms": round(statistics.mean(wall), 4), "cpu_mean_ms": round(statistics.mean(cpu), 4),
            **figures(wall, cpu), "calls": len(wall)}


def encoder_dir(environ: Mapping[str, str]) -> Path:
    """The encoder artifact to measure: BENCH_ENCODER_MODEL, else the packaged one."""
    from plugins.classify.onnx_encoder import PACKAGED_ENCODER

    chosen = environ.get(ENCODER_MODEL_ENV)
    return Path(chosen) if chosen else PACKAGED_ENCODER


def rss_mb() -> float:
    """This process's resident set size now (VmRSS), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def model_costs(loader: Callable[[RouterConfig, Path], Classifier], directory: Path, config: RouterConfig
                ) -> tuple[Classifier, dict[str, Any]]:
    """Load the model once measuring the memory it adds (its runtime's import included: a worker
    pays that too), then four more times for the load time; the artifact's size on disk."""
    before = rss_mb()
    started = time.perf_counter()
    classifier = loader(config, directory)
    first = time.perf_counter() - started
    grown = rss_mb() - before
    loads = []
    for _ in range(4):
        started = time.perf_counter()
        loader(config, directory)
        loads.append(time.perf_counter() - started)
    files = {p.name: p.stat().st_size for p in directory.iterdir() if p.is_file()}
    return classifier, {
        "model": str(directory),
        "load_ms": {"first": round(first * 1000), "median": round(statistics.median(loads) * 1000),
                    "max": round(max(loads) * 1000)},
        "artifact_mb": round(sum(files.values()) / 1e6, 1),
        "files_mb": {name: round(size / 1e6, 2) for name, size in sorted(files.items())},
        "rss_growth_mb": round(grown, 1),
    }


def build(config_path: Path, kind: str | None, environ: Mapping[str, str], hybrid_base: str | None = None
          ) -> tuple[Classifier, dict[str, Any]]:
    """The classifier to measure, loaded as the proxy loads it (plugins.classify.build), and its
    model's costs (load, size, memory; only the load time for keyword and hybrid, over `hybrid_base` if given)."""
    config = load_config(config_path)
    chosen = kind or config.classifier
    if chosen == "encoder":
        return model_costs(load_encoder, encoder_dir(environ), config)
    if chosen == "learned":
        learned = Path(config.learned_model) if config.learned_model else PACKAGED_MODEL
        return model_costs(load_learned, learned, config)
    _, classifier, seconds = load(str(config_path), kind, hybrid_base)
    return classifier, {"load_ms": {"first": round(seconds * 1000)}}


def long_conversations(text: str, n: int) -> list[Prompt]:
    """`n` conversations of 200 messages: a 2,000-character system prompt, 198 earlier turns of 50,
    200 and 1,000 characters in turn (about 82,000 characters), and a 200-character latest turn."""
    pieces = prompts(text, 1_000, 8 * n)
    found = []
    for i in range(n):
        turns = tuple(pieces[(i * 7 + t) % len(pieces)][: (50, 200, 1_000)[t % 3]] for t in range(198))
        found.append(Prompt(latest=pieces[i][:200], context=turns, system=(pieces[i + 1] + pieces[i + 2])[:2_000]))
    return found


def bench_classifier(config_path: Path, kind: str | None = None, n: int = 300,
                     environ: Mapping[str, str] = os.environ, hybrid_base: str | None = None) -> dict[str, Any]:
    """The configured (or `kind`) classifier: per-call figures by prompt length, the worst-case
    conversation, the real-chat mix, and its model's costs. `make bench-classifier` records this."""
    classifier, costs = build(config_path, kind, environ, hybrid_base)
    text = corpus()
    results: dict[str, Any] = {"kind": classifier.kind, "n": n, "lengths": {}, **costs}
    for length in LENGTHS:
        items = [Prompt(latest=p) for p in prompts(text, length, n)]
        results["lengths"][str(length)] = {"chars": length, **figures(*measure(classifier, items))}
    long = prompts(text, 30_000, 5 * n)
    conversations = [
        Prompt(latest=long[i][:200], context=(long[i + 1], long[i + 2], long[i + 3]), system=long[i + 4])
        for i in range(0, len(long) - 4, 5)
    ]
    results["conversation"] = figures(*measure(classifier, conversations))
    results["conversation_200"] = figures(*measure(classifier, long_conversations(text, n)))
    results["mix"] = mix_figures(classifier)
    return results


def bench_mix(config_path: Path, kinds: Sequence[str], environ: Mapping[str, str] = os.environ
              ) -> dict[str, Any]:
    """`make bench`'s short part: each classifier's mean cost over the real-chat mix and its model's
    costs (the gate on the encoder's added CPU in the proxy is read against this mean)."""
    found: dict[str, Any] = {}
    for kind in kinds:
        classifier, costs = build(config_path, kind, environ)
        found[kind] = {**costs, "mix": mix_figures(classifier)}
    return found


def report(results: Mapping[str, Any]) -> list[str]:
    """One line per length, the conversation, the mix, and the model's costs."""
    def line(name: str, f: Mapping[str, float]) -> str:
        return (f"classifier ({results['kind']}) {name:<26} wall p50 {f['p50_ms']:6.3f}  p99 {f['p99_ms']:6.3f}"
                f"   cpu p50 {f['cpu_p50_ms']:6.3f}  p99 {f['cpu_p99_ms']:6.3f}  ms")
    lines = [line(f"{length:>6} chars", f) for length, f in results["lengths"].items()]
    lines.append(line("conversation (worst case)", results["conversation"]))
    if "conversation_200" in results:
        lines.append(line("200-message conversation", results["conversation_200"]))
    if "mix" in results:
        lines.append(line("real-chat mix", results["mix"]))
        lines.append(mix_line(str(results["kind"]), results))
    return lines


def mix_line(kind: str, row: Mapping[str, Any]) -> str:
    """The mix's means and the model's costs, on one line."""
    mix, load_ms = row["mix"], row["load_ms"]
    costs = f"load first {load_ms['first']} ms"
    if "median" in load_ms:
        costs += (f", median {load_ms['median']} ms, max {load_ms['max']} ms; artifact {row['artifact_mb']} MB; "
                  f"RSS +{row['rss_growth_mb']} MB")
    return (f"classifier ({kind}) real-chat mix mean: wall {mix['mean_ms']:.3f} ms, cpu {mix['cpu_mean_ms']:.3f} ms "
            f"({mix['calls']} calls); {costs}")


def take_turns(calls: Mapping[str, Callable[[T], object]], items: Sequence[T]) -> dict[str, list[float]]:
    """Thread CPU (ms) of each call on each item, the calls taking turns item by item so host noise falls on
    each alike (scripts/bench/fusions.py, encoders.py)."""
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    for item in items:
        for name, call in calls.items():
            started = time.thread_time()
            call(item)
            cpu[name].append((time.thread_time() - started) * 1000)
    return cpu


def publish(lines: Sequence[str], results: Mapping[str, Any], out: Path | None) -> None:
    """Prints a bench's lines and, given `out`, writes its figures there as JSON."""
    print("\n".join(lines))
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--classifier", default="learned", choices=KINDS)
    parser.add_argument("--hybrid-base", choices=get_args(HybridBase), help="the model `hybrid` mixes its keywords "
                        "into (default: the config's)")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--encoder-model", help=f"encoder artifact directory (default: ${ENCODER_MODEL_ENV} "
                        "or the packaged one)")
    parser.add_argument("--out", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    environ = {**os.environ, **({ENCODER_MODEL_ENV: args.encoder_model} if args.encoder_model else {})}
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    results = bench_classifier(ROOT / "litellm_config.yaml", args.classifier, args.n, environ, args.hybrid_base)
    publish(report(results), results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
