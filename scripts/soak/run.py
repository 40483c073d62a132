"""`make soak`: load through a real proxy while qwen-coder's backend is SIGKILLed and restarted
and deepseek-r1's answers 500 for a while; then the report (scripts/soak/report.py).

Steps: a preflight request per surface (`auto` keeps the optional ones that answer 200), a
warm-up at full concurrency, the proxy's RSS and descriptors, the load with the faults, a settle
period (descriptors back, success callbacks landed), the same measurements again, and the
bundle's `agent_router_requests_total` read from its exporter. Exit status 0 when every goal holds.

Usage: python -m scripts.soak [--duration 300] [--concurrency 16] [--surfaces auto|chat,...]
       [--restarts 2] [--out .run/soak/report.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from scripts.bench.load import PROMPTS
from scripts.soak.faults import Backend, FaultEvent, FaultPlan, run_faults
from scripts.soak.load import Outcome, run_load, send, session_for
from scripts.soak.report import Counters, build_report, render
from scripts.soak.resources import Resources, resources
from scripts.soak.surfaces import CORE, SURFACES, Surface
from scripts.stack import ROOT


@dataclass(frozen=True)
class SoakSettings:
    duration_seconds: float = 300.0
    concurrency: int = 16
    surfaces: tuple[str, ...] = ("auto",)
    restarts: int = 2
    warmup_seconds: float = 5.0
    grace_seconds: float = 2.0
    settle_seconds: float = 30.0


@dataclass(frozen=True)
class Target:
    base_url: str
    key: str
    metrics_url: str  # the bundle's exporter (no key)
    pid: int


async def preflight(target: Target, names: Sequence[str]) -> tuple[list[Surface], list[Outcome]]:
    """One request per candidate surface; `auto` adds every optional surface that answers 200."""
    wanted = [n for n in SURFACES if n not in CORE] if "auto" in names else []
    candidates = list(dict.fromkeys([*CORE, *wanted] if "auto" in names else names))
    chosen: list[Surface] = []
    outcomes: list[Outcome] = []
    async with session_for(target.base_url, target.key, 1) as session:
        for name in candidates:
            outcome = await send(session, SURFACES[name], PROMPTS[0], time.monotonic(), 60.0)
            outcomes.append(outcome)
            if outcome.ok or name in CORE or "auto" not in names:
                chosen.append(SURFACES[name])
    return chosen, outcomes


def exported_requests(metrics_url: str) -> dict[str, int]:
    with urllib.request.urlopen(metrics_url, timeout=10) as resp:
        text = resp.read().decode()
    totals = {"success": 0, "error": 0}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "agent_router_requests_total":
                status = sample.labels["status"]
                totals[status] = totals.get(status, 0) + int(sample.value)
    return totals


def client_requests(outcomes: Sequence[Outcome], routed: set[str]) -> dict[str, int]:
    mine = [o for o in outcomes if o.surface in routed]
    return {"success": sum(o.ok for o in mine), "error": sum(not o.ok for o in mine)}


async def settle(target: Target, start: Resources, clients: Mapping[str, int],
                 seconds: float) -> tuple[Resources, dict[str, int]]:
    """Wait (bounded) for descriptors to close and for every success callback to be counted."""
    deadline = time.monotonic() + seconds
    await asyncio.sleep(min(2.0, seconds))
    while True:
        end = resources(target.pid)
        exported = await asyncio.to_thread(exported_requests, target.metrics_url)
        if (end.fds <= start.fds and exported == dict(clients)) or time.monotonic() > deadline:
            return end, exported
        await asyncio.sleep(1.0)


async def soak(target: Target, backends: Mapping[str, Backend], settings: SoakSettings) -> dict[str, Any]:
    surfaces, outcomes = await preflight(target, settings.surfaces)
    routed = {o.surface for o in outcomes if o.routed}
    # The optional surfaces the preflight left out, with the status they answered.
    skipped = {o.surface: o.status for o in outcomes if o.surface not in {s.name for s in surfaces}}
    outcomes += await run_load(target.base_url, target.key, surfaces, settings.concurrency,
                               settings.warmup_seconds)
    start = resources(target.pid)
    events: list[FaultEvent] = []
    plan = FaultPlan.for_duration(settings.duration_seconds, settings.restarts)
    t0 = time.monotonic()
    faults = asyncio.create_task(run_faults(backends, plan, t0, events))
    try:
        loaded = await run_load(target.base_url, target.key, surfaces, settings.concurrency,
                                settings.duration_seconds)
        await faults  # a restart still under way finishes before the measurements
    finally:
        faults.cancel()
    outcomes += loaded
    clients = client_requests(outcomes, routed)
    end, exported = await settle(target, start, clients, settings.settle_seconds)
    report = build_report(loaded, events, settings.grace_seconds, start, end,
                          Counters(exported, clients), vars(settings), [s.name for s in surfaces])
    report["surfaces_skipped"] = skipped
    return report


def parse_args(argv: Sequence[str]) -> tuple[SoakSettings, Path]:
    parser = argparse.ArgumentParser(prog="python -m scripts.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of load (300)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--surfaces", default="auto",
                        help=f"comma-separated from {', '.join(SURFACES)}, or auto (default)")
    parser.add_argument("--restarts", type=int, choices=(1, 2), default=2)
    parser.add_argument("--out", type=Path, default=ROOT / ".run" / "soak" / "report.json")
    args = parser.parse_args(argv)
    names = tuple(n.strip() for n in args.surfaces.split(",") if n.strip())
    unknown = [n for n in names if n != "auto" and n not in SURFACES]
    if unknown or not names:
        parser.error(f"unknown surface(s) {unknown}; choose from {', '.join(SURFACES)} or auto")
    return SoakSettings(args.duration, args.concurrency, names, args.restarts), args.out


def main(argv: Sequence[str] | None = None) -> int:
    from scripts.soak.stack import start_stack

    settings, out = parse_args(sys.argv[1:] if argv is None else argv)
    log_dir = out.parent / "logs"
    print(f"soak: starting 3 MAX Serve echo backends and the proxy (logs in {log_dir})", flush=True)
    stack = start_stack(log_dir)
    try:
        target = Target(stack.base_url, stack.key, stack.metrics_url, stack.proxy.proc.pid)
        report = asyncio.run(soak(target, stack.backends, settings))
    finally:
        stack.stop()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(render(report))
    print(f"soak: report written to {out}")
    return 0 if report["passed"] else 1
