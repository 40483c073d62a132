"""The soak's findings, judged against the issue's goals, as JSON and as a short text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from scripts.bench.load import percentile
from scripts.soak.faults import FaultEvent
from scripts.soak.load import Outcome
from scripts.soak.resources import Resources

RSS_TOLERANCE = 0.10


@dataclass(frozen=True)
class Counters:
    """agent_router_requests_total by status, next to what the clients saw on routed requests."""

    exported: Mapping[str, int]
    clients: Mapping[str, int]

    @property
    def equal(self) -> bool:
        return all(self.exported.get(s, 0) == self.clients.get(s, 0) for s in ("success", "error"))


def affected(outcome: Outcome, events: Sequence[FaultEvent], grace: float) -> bool:
    """In flight at a fault moment, or sent within `grace` seconds after one."""
    return any(outcome.sent <= e.at + grace and outcome.sent + outcome.latency >= e.at for e in events)


def returned_after(outcomes: Sequence[Outcome], ready: FaultEvent) -> float | None:
    served = [o.sent + o.latency for o in outcomes if o.model == ready.group and o.sent >= ready.at]
    return round(min(served) - ready.at, 2) if served else None


def build_report(outcomes: Sequence[Outcome], events: Sequence[FaultEvent], grace: float,
                 start: Resources, end: Resources, counters: Counters, settings: Mapping[str, Any],
                 surfaces: Sequence[str]) -> dict[str, Any]:
    errors = [o for o in outcomes if not o.ok]
    late = [o for o in errors if not affected(o, events, grace)]
    latencies = [o.latency for o in outcomes if o.ok]
    wall = max((o.sent + o.latency for o in outcomes), default=0.0)
    by_surface = {name: sum(1 for o in outcomes if o.surface == name) for name in surfaces}
    rss_growth = (end.rss_mb - start.rss_mb) / start.rss_mb if start.rss_mb else 0.0
    back = {f"after_ready_at_{e.at:.1f}s": returned_after(outcomes, e) for e in events if e.kind == "ready"}
    goals = {
        "no_errors_after_grace": not late,
        "rss_within_10_percent": abs(rss_growth) <= RSS_TOLERANCE,
        "fds_back_to_start": end.fds <= start.fds,
        "requests_total_matches_clients": counters.equal,
    }
    return {
        "settings": dict(settings),
        "surfaces": list(surfaces),
        "requests": len(outcomes),
        "requests_by_surface": by_surface,
        "throughput_rps": round(len(outcomes) / wall, 1) if wall else 0.0,
        "errors": len(errors),
        "errors_after_grace": len(late),
        "error_examples": [asdict(o) for o in (late or errors)[:5]],
        "latency_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "latency_p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "faults": [asdict(e) for e in events],
        # Seconds from a restarted backend answering /health to its first routed answer.
        "killed_model_serving_again_seconds": back,
        "proxy_start": asdict(start),
        "proxy_end": asdict(end),
        "rss_growth_percent": round(rss_growth * 100, 1),
        "requests_total": {"exported": dict(counters.exported), "clients": dict(counters.clients)},
        "goals": goals,
        "passed": all(goals.values()),
    }


def render(report: Mapping[str, Any]) -> str:
    start, end = report["proxy_start"], report["proxy_end"]
    lines = [
        f"soak: {report['requests']} requests over {report['settings']['duration_seconds']:.0f}s at "
        f"concurrency {report['settings']['concurrency']} ({report['throughput_rps']} req/s), "
        f"surfaces {', '.join(report['surfaces'])} (skipped: {report.get('surfaces_skipped') or 'none'})",
        "  faults: " + "; ".join(f"{f['kind']} {f['group']} @{f['at']:.1f}s" for f in report["faults"]),
        f"  client errors: {report['errors']} in all, {report['errors_after_grace']} sent more than "
        f"{report['settings']['grace_seconds']:.0f}s after a fault (goal 0)",
        f"  the killed model served again (s after ready): {report['killed_model_serving_again_seconds']}",
        f"  latency: p50 {report['latency_p50_ms']} ms, p99 {report['latency_p99_ms']} ms",
        f"  proxy RSS {start['rss_mb']} -> {end['rss_mb']} MiB ({report['rss_growth_percent']:+}%), "
        f"fds {start['fds']} -> {end['fds']}",
        f"  agent_router_requests_total {report['requests_total']['exported']} vs clients "
        f"{report['requests_total']['clients']}",
        "  goals: " + ", ".join(f"{k}={'ok' if v else 'FAILED'}" for k, v in report["goals"].items()),
    ]
    return "\n".join(lines)
