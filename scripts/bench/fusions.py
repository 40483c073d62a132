"""The encoder's cost with and without the graph fusions the proxy turns off
(plugins.classify.onnx_encoder.DISABLED_FUSIONS), side by side in one run.

    python -m scripts.bench.fusions [--model DIR] [--n 100] [--out FILE]

By default onnxruntime fuses each residual Add and the LayerNormalization after it into one
SkipLayerNormalization node. On the 2-core AMD EPYC host with onnxruntime 1.32, that fused kernel
took five times as long as the two nodes it replaces (docs/ENCODER.md), so the proxy's session leaves
those nodes unfused. This bench keeps that finding checked on whatever host and onnxruntime run it.
It measures thread CPU per call at 16 and 64 tokens and over the real-chat mix, for the proxy's session
and for one with every fusion on. Calls alternate between the two sessions so host noise falls on
both. It also reports how far the two sessions' logits differ on the mix.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from plugins.classify.encoder_input import InputBuilder
from plugins.classify.evaluation import percentile
from plugins.classify.onnx_encoder import (
    DISABLED_FUSIONS,
    PACKAGED_ENCODER,
    EncoderManifest,
    open_session,
    run_logits,
)
from plugins.prompt import Prompt
from scripts.bench.chat_mix import chat_mix
from scripts.bench.classifier import publish, take_turns

TOKENS = (16, 64)


def side_by_side(sessions: dict[str, Any], inputs: Sequence[Sequence[int]]) -> dict[str, list[float]]:
    """Thread CPU (ms) of each session on each input, the sessions taking turns call by call."""
    return take_turns({name: partial(run_logits, session) for name, session in sessions.items()}, inputs)


def bench_fusions(model: Path = PACKAGED_ENCODER, n: int = 100) -> dict[str, Any]:
    manifest = EncoderManifest.read(model)
    sessions = {"proxy": open_session(model / "model.onnx", 1),
                "all_fusions": open_session(model / "model.onnx", 1, disabled=())}
    mix = chat_mix()
    builder = InputBuilder.from_file(model / "tokenizer.json", manifest.max_tokens, manifest.max_chars, manifest.cut)
    mix_ids = [builder.for_prompt(Prompt(latest=p)).ids for p in mix]
    side_by_side(sessions, mix_ids[:20])  # warm-up
    longest = max(mix, key=len)
    results: dict[str, Any] = {"model": model.name, "disabled": list(DISABLED_FUSIONS), "n": n, "tokens": {}}
    for tokens in TOKENS:
        ids = InputBuilder.from_file(model / "tokenizer.json", tokens, manifest.max_chars,
                                     manifest.cut).for_texts(longest).ids
        cpu = side_by_side(sessions, [ids] * n)
        results["tokens"][str(tokens)] = {name: round(percentile(v, 50), 3) for name, v in cpu.items()}
    cpu = side_by_side(sessions, mix_ids * max(1, n // len(mix_ids)))
    results["mix_cpu_mean_ms"] = {name: round(statistics.mean(v), 3) for name, v in cpu.items()}
    results["mix_ratio"] = round(results["mix_cpu_mean_ms"]["proxy"] / results["mix_cpu_mean_ms"]["all_fusions"], 3)
    proxy = np.asarray([run_logits(sessions["proxy"], ids) for ids in mix_ids])
    full = np.asarray([run_logits(sessions["all_fusions"], ids) for ids in mix_ids])
    results["mix_max_abs_logit_diff"] = round(float(np.abs(proxy - full).max()), 4)
    results["mix_argmax_agreement"] = round(float((proxy.argmax(axis=1) == full.argmax(axis=1)).mean()), 4)
    return results


def report(results: dict[str, Any]) -> list[str]:
    lines = [f"encoder {results['model']}: proxy session (without {', '.join(results['disabled']) or 'nothing'}) "
             f"against every fusion on, thread CPU p50 per call"]
    for tokens, row in results["tokens"].items():
        lines.append(f"  {tokens:>3} tokens: proxy {row['proxy']:.3f} ms, all fusions {row['all_fusions']:.3f} ms")
    mix = results["mix_cpu_mean_ms"]
    lines.append(f"  real-chat mix mean: proxy {mix['proxy']:.3f} ms, all fusions {mix['all_fusions']:.3f} ms "
                 f"(ratio {results['mix_ratio']:.3f}); logits max |difference| {results['mix_max_abs_logit_diff']}, "
                 f"argmax agreement {results['mix_argmax_agreement']:.2%}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", type=Path, default=PACKAGED_ENCODER)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--out", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    results = bench_fusions(args.model, args.n)
    publish(report(results), results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
