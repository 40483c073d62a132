"""Issue 18's load gates for the encoder, read from one run's results (pure: no I/O).

- Added CPU: the encoder's cost in the proxy per request at c=32, `bundle_encoder` minus
  `bundle_learned` (pooled over rounds, and the median of the per-round differences beside it),
  at most the encoder's mean `classify()` thread CPU over the real-chat mix plus the bundle's own
  0.6 ms budget: the proxy may spend on the encoder what the encoder costs alone, and nothing
  beyond what the bundle is allowed already.
- Fallback share: the requests at c=32 that the header says `learned` decided in the encoder's
  place (deadline, full queue, error), with the exporter's counter by reason beside it.
- Event-loop lag: the encoder must not hold the loop (it runs in a thread pool). Gated on the in-process
  probe (scripts/bench/encoder_lag.py): its p99 lag with the encoder busy in a pool thread at most 5 ms
  above the idle loop's. The p99 of `/health/liveliness` under the c=32 load, `bundle_encoder` against
  `bundle_learned`, is reported beside it: through a saturated proxy it moved from -153.7 to +57.9 ms
  between runs of the same code (docs/BENCHMARKS.md), too noisy to read 5 ms from.
- The learned bundle's hook and callbacks in process stay within 0.6 ms CPU per request.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from typing import Any, Final

# The bundle's budget per request in process (issue 12), also the encoder's allowance beyond its
# own classify() cost.
HOOK_BUDGET_MS: Final = 0.6
# How much later the loop may wake at p99 with the encoder busy than idle (the in-process probe).
LAG_BUDGET_MS: Final = 5.0
ENCODER: Final = "encoder"


def added_cpu(encoder: Mapping[str, Any], learned: Mapping[str, Any]) -> dict[str, float | None]:
    """CPU ms per request at c=32, encoder minus learned: pooled, and median of paired rounds."""
    pooled = encoder["cpu_ms_per_request"] - learned["cpu_ms_per_request"]
    paired = list(zip(encoder.get("rounds", []), learned.get("rounds", []), strict=False))
    median = statistics.median(e["cpu_ms_per_request"] - q["cpu_ms_per_request"] for e, q in paired) if paired else None
    return {"pooled_ms": round(pooled, 3), "median_of_rounds_ms": None if median is None else round(median, 3)}


def fallback_share(deciders: Mapping[str, int]) -> float | None:
    """Share of the routed requests that a classifier other than the encoder decided."""
    total = sum(deciders.values())
    return round(1.0 - deciders.get(ENCODER, 0) / total, 4) if total else None


def encoder_gates(results: Mapping[str, Any]) -> dict[str, Any]:
    """The gates for one run; {} when either bundle configuration or the encoder's mix is missing."""
    encoder, learned = results.get("bundle_encoder"), results.get("bundle_learned")
    mix = results.get("classifier_mix", {}).get(ENCODER, {}).get("mix")
    if not encoder or not learned or not mix:
        return {}
    added = added_cpu(encoder, learned)
    allowed = round(mix["cpu_mean_ms"] + HOOK_BUDGET_MS, 3)
    lag = encoder["liveliness"]["p99_ms"] - learned["liveliness"]["p99_ms"]
    probe = results.get("encoder_lag", {}).get("p99_added_ms")
    hook = results.get("bundle_hook", {}).get("cpu_ms_per_request")
    tuned = results.get("ratios", {})
    return {
        "added_cpu_ms": added,
        "added_cpu_allowed_ms": allowed,
        "added_cpu_met": added["pooled_ms"] <= allowed,
        "encoder_over_tuned": tuned.get("bundle_encoder/litellm_tuned", {}),
        "learned_over_tuned": tuned.get("bundle_learned/litellm_tuned", {}),
        "rps": {"bundle_encoder": encoder["rps"], "bundle_learned": learned["rps"]},
        "fallback_share_c32": fallback_share(encoder.get("deciders", {})),
        "deciders_c32": dict(encoder.get("deciders", {})),
        "fallbacks_by_reason": dict(encoder.get("fallbacks_total", {})),
        "liveliness_p99_ms": {"bundle_encoder": encoder["liveliness"]["p99_ms"],
                              "bundle_learned": learned["liveliness"]["p99_ms"]},
        "liveliness_p99_delta_ms": round(lag, 2),
        "lag_probe_p99_added_ms": probe,
        "lag_met": None if probe is None else probe <= LAG_BUDGET_MS,
        "learned_hook_cpu_ms": hook,
        "learned_hook_met": None if hook is None else hook <= HOOK_BUDGET_MS,
    }


def _verdict(met: bool | None) -> str:
    return "n/a" if met is None else "met" if met else "NOT met"


def gate_lines(gates: Mapping[str, Any]) -> list[str]:
    """The gates as printed under the table."""
    if not gates:
        return ["encoder gates: not measured (no bundle_encoder run or no encoder mix figure)"]
    added, enc, lrn = gates["added_cpu_ms"], gates["encoder_over_tuned"], gates["learned_over_tuned"]
    share = gates["fallback_share_c32"]
    return [
        f"encoder added CPU at c=32: {added['pooled_ms']:+.3f} ms/request (rounds median "
        f"{added['median_of_rounds_ms']}) vs allowed {gates['added_cpu_allowed_ms']:.3f} "
        f"(mix classify() CPU + {HOOK_BUDGET_MS}): {_verdict(gates['added_cpu_met'])}; "
        f"over litellm_tuned CPU x{enc.get('cpu_ms_per_request')} (learned x{lrn.get('cpu_ms_per_request')}), "
        f"req/s x{enc.get('rps')} (learned x{lrn.get('rps')}); rps {gates['rps']}",
        f"encoder fallback share at c=32: {'n/a' if share is None else f'{100 * share:.1f}%'} "
        f"(deciders {gates['deciders_c32']}; agent_router_classifier_fallbacks_total {gates['fallbacks_by_reason']})",
        f"event-loop lag, in-process probe p99 with the encoder busy: {gates['lag_probe_p99_added_ms']} ms over "
        f"the idle loop (<= {LAG_BUDGET_MS}): {_verdict(gates['lag_met'])}; /health/liveliness p99 at c=32 "
        f"(reported, not gated): encoder {gates['liveliness_p99_ms']['bundle_encoder']:.2f} ms, learned "
        f"{gates['liveliness_p99_ms']['bundle_learned']:.2f} ms, delta {gates['liveliness_p99_delta_ms']:+.2f}",
        f"learned hook + callbacks in process: {gates['learned_hook_cpu_ms']} ms CPU/request "
        f"(<= {HOOK_BUDGET_MS}): {_verdict(gates['learned_hook_met'])}",
    ]
