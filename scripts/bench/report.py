"""Turns raw load phases into bench/results.json's numbers, the ratios and the printed table."""

from __future__ import annotations

import statistics
from typing import Any

from scripts.bench.classifier import mix_line
from scripts.bench.classifier import report as classifier_report
from scripts.bench.gates import gate_lines
from scripts.bench.load import PhaseResult, percentile

ROWS = ("direct", "litellm_default", "litellm_tuned", "bundle_learned", "bundle_encoder")
PAIRS = (
    ("bundle_learned", "litellm_tuned"),
    ("bundle_encoder", "litellm_tuned"),
    ("bundle_encoder", "bundle_learned"),
    ("bundle_learned", "litellm_default"),
    ("litellm_tuned", "litellm_default"),
)


def _merged(counts: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for count in counts:
        for key, n in count.items():
            total[key] = total.get(key, 0) + n
    return dict(sorted(total.items()))


def _summary(runs: list[tuple[PhaseResult, float]]) -> dict[str, Any]:
    latencies = [ms for result, _ in runs for ms in result.latencies_ms]
    requests = sum(result.requests for result, _ in runs)
    wall = sum(result.wall_s for result, _ in runs)
    cpu = sum(cpu for _, cpu in runs)
    probes = [ms for result, _ in runs for ms in result.probe_ms]
    return {
        "requests": requests,
        "rps": round(requests / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p95_ms": round(percentile(latencies, 95), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "cpu_ms_per_request": round(1000.0 * cpu / requests, 2) if requests else 0.0,
        "errors": sum(result.errors for result, _ in runs),
        "with_routing_header": sum(result.with_header for result, _ in runs),
        "deciders": _merged([result.deciders for result, _ in runs]),
        "liveliness": {
            "probes": len(probes),
            "p50_ms": round(percentile(probes, 50), 2),
            "p99_ms": round(percentile(probes, 99), 2),
        },
    }


def phase_stats(phases: dict[str, list[tuple[PhaseResult, float]]]) -> dict[str, Any]:
    """Top level: the concurrent phase (all rounds pooled); `serial`: the concurrency-1 phase."""
    stats = _summary(phases["c32"])
    stats["concurrency"] = phases["c32"][0][0].concurrency if phases["c32"] else 0
    stats["serial"] = _summary(phases["c1"])
    stats["rounds"] = [
        {
            "rps": round(r.requests / r.wall_s, 1) if r.wall_s else 0.0,
            "cpu_ms_per_request": round(1000.0 * cpu / r.requests, 2) if r.requests else 0.0,
            "serial_p50_ms": round(percentile(s.latencies_ms, 50), 2),
        }
        for (r, cpu), (s, _) in zip(phases["c32"], phases["c1"], strict=False)
    ]
    return stats


def _pair(results: dict[str, Any], a: str, b: str) -> dict[str, Any]:
    x, y = results[a], results[b]
    paired = list(zip(x.get("rounds", []), y.get("rounds", []), strict=False))
    return {
        "rps": round(x["rps"] / y["rps"], 3) if y["rps"] else None,
        "cpu_ms_per_request": round(x["cpu_ms_per_request"] / y["cpu_ms_per_request"], 3)
        if y["cpu_ms_per_request"]
        else None,
        "p50_delta_ms": round(x["p50_ms"] - y["p50_ms"], 2),
        "serial_p50_delta_ms": round(x["serial"]["p50_ms"] - y["serial"]["p50_ms"], 2),
        # The same ratios per round (configurations interleaved), median: robust to a noisy round.
        "rps_median_of_rounds": round(statistics.median(p["rps"] / q["rps"] for p, q in paired), 3) if paired else None,
        "cpu_median_of_rounds": round(
            statistics.median(p["cpu_ms_per_request"] / q["cpu_ms_per_request"] for p, q in paired),
            3,
        )
        if paired
        else None,
        "serial_p50_delta_median_of_rounds_ms": round(
            statistics.median(p["serial_p50_ms"] - q["serial_p50_ms"] for p, q in paired), 2
        )
        if paired
        else None,
    }


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for a, b in PAIRS:
        if a in results and b in results:
            found[f"{a}/{b}"] = _pair(results, a, b)
    return found


def table(results: dict[str, Any]) -> str:
    head = (
        f"{'configuration':<16}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'CPU ms/req':>11}{'RSS MB':>8}{'errors':>7}{'c=1 p50':>9}{'live p99':>9}"
    )
    lines = [head, "-" * len(head)]
    for name in ROWS:
        row = results.get(name)
        if not row:
            continue
        lines.append(
            f"{name:<16}{row['rps']:>8.1f}{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}{row['p99_ms']:>9.1f}"
            f"{row['cpu_ms_per_request']:>11.2f}{row.get('peak_rss_mb', 0):>8.0f}{row['errors']:>7}"
            f"{row['serial']['p50_ms']:>9.2f}{row.get('liveliness', {}).get('p99_ms', 0.0):>9.2f}"
        )
    for pair, values in results.get("ratios", {}).items():
        lines.append(
            f"{pair}: req/s x{values['rps']} (rounds median x{values['rps_median_of_rounds']}), "
            f"CPU/req x{values['cpu_ms_per_request']} "
            f"(rounds median x{values['cpu_median_of_rounds']}), "
            f"c=1 p50 {values['serial_p50_delta_ms']:+.2f} ms"
        )
    if "classifier" in results:
        lines.extend(classifier_report(results["classifier"]))
    for kind, row in results.get("classifier_mix", {}).items():
        lines.append(mix_line(kind, row))
    if "encoder_gates" in results:
        lines.extend(gate_lines(results["encoder_gates"]))
    if "bundle_hook" in results:
        hook = results["bundle_hook"]
        lines.append(
            f"bundle hook + callbacks in process: {hook['cpu_ms_per_request']:.3f} ms CPU/request "
            f"({100 * hook.get('share_of_tuned_cpu', 0):.1f}% of litellm_tuned's), "
            f"p50 {hook['p50_ms']:.3f} ms"
        )
        lines.extend(surface_report(hook.get("surfaces", {})))
    by_litellm = results.get("bundle_hook_by_litellm", {})
    if by_litellm:
        costs = ", ".join(
            f"{version} {row['cpu_ms_per_request']:.3f} ms (cooldown read {row['cooldown_read_us']:.1f} µs, "
            f"health check {row['health_check_us']:.1f} µs)"
            for version, row in by_litellm["by_litellm"].items())
        lines.append(f"bundle hook per LiteLLM (lowest block): {costs}; newest/locked "
                     f"x{by_litellm['newest_over_locked']}")
    if "cold_start_s" in results:
        lines.append(f"cold start to first routed response: {results['cold_start_s']}")
    if "features" in results.get("bundle_learned", {}):
        lines.append(f"bundle features: {results['bundle_learned']['features']}")
    return "\n".join(lines)


def surface_report(surfaces: dict[str, Any]) -> list[str]:
    """One line per workload of the in-process hook benchmark (scripts/bench/hook.py)."""
    lines = [f"{'workload':<28}{'call type':<20}{'CPU ms':>8}{'p50 ms':>8}{'measure':>9}  outcomes"]
    for name, row in surfaces.items():
        lines.append(
            f"{name:<28}{row['call_type']:<20}{row['cpu_ms_per_request']:>8.3f}{row['p50_ms']:>8.3f}"
            f"{row['measure_cpu_ms_per_request']:>9.3f}  {row['outcomes']}"
        )
    return lines
