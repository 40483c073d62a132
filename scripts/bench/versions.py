"""The bundle's in-process cost under each tested LiteLLM, side by side in one run.

Each LiteLLM has its own environment (`.venv`: the locked 1.108.7; `.venv-compat-<version>`: made
by `make compat-env LITELLM=<version>`), so each measurement is `python -m scripts.bench.versions
<requests> <blocks>` in a child process of that environment: the chat workload through the hook
(scripts/bench/hook.py) in blocks, and the two Router reads a request makes, alone (LiteLLM's
cooldown store, and the health gate's whole check around it): where a newer LiteLLM's own code
makes the difference, those show it. Importing LiteLLM costs ~15 s, so a child measures many
blocks; the versions alternate round by round so that a burst of load from other processes on this
shared 2-core machine hits them alike; each figure is the lowest block, since load only ever adds
CPU time to this single-threaded loop.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from router_hooks.compat import installed_version, parse_version
from scripts.stack import ROOT

LOCKED = ".venv"
FIGURES = ("cpu_ms_per_request", "cooldown_read_us", "health_check_us")


def environments(versions: list[str], root: Path = ROOT) -> dict[str, Path]:
    """label -> python of that environment: the locked one first, then each compat one that exists."""
    found = {"locked": root / LOCKED / "bin" / "python"}
    for version in versions:
        python = root / f".venv-compat-{version}" / "bin" / "python"
        if python.exists():
            found[version] = python
    return found


def measure(python: Path, requests: int, blocks: int, timeout: float = 300) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    argv = [str(python), "-m", "scripts.bench.versions", str(requests), str(blocks)]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                          check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bench_versions(versions: list[str], rounds: int = 2, blocks: int = 9,
                   requests: int = 1_000) -> dict[str, Any]:
    """{by_litellm: {version: lowest figures}, newest_over_locked: ratio of the CPU per request}."""
    pythons = environments(versions)
    samples: dict[str, list[dict[str, Any]]] = {label: [] for label in pythons}
    for index in range(rounds):
        order = list(pythons) if index % 2 == 0 else list(reversed(pythons))
        for label in order:
            samples[label].append(measure(pythons[label], requests, blocks))
    by_version: dict[str, Any] = {}
    for runs in samples.values():
        row: dict[str, Any] = {name: min(run[name] for run in runs) for name in FIGURES}
        row["blocks_cpu_ms"] = [ms for run in runs for ms in run["blocks_cpu_ms"]]
        row["requests_per_block"] = requests
        by_version[str(runs[0]["litellm"])] = row
    locked = by_version[str(samples["locked"][0]["litellm"])]["cpu_ms_per_request"]
    newest = by_version[max(by_version, key=parse_version)]["cpu_ms_per_request"]
    return {"by_litellm": by_version, "newest_over_locked": round(newest / locked, 3) if locked else None}


# -- the child ------------------------------------------------------------------------------------

def _lowest(run: Callable[[int], Awaitable[None]], count: int, blocks: int) -> float:
    """Lowest CPU seconds per call over `blocks` blocks of `count` calls, on one event loop."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(run(min(count, 200)))  # warm-up
        best = float("inf")
        for _ in range(blocks):
            started = time.process_time()
            loop.run_until_complete(run(count))
            best = min(best, (time.process_time() - started) / count)
        return best
    finally:
        loop.close()


def child(requests: int, blocks: int) -> dict[str, Any]:
    from scripts.bench.bodies import workloads
    from scripts.bench.hook import build_hook, one_request

    hook, served = build_hook(ROOT / "litellm_config.yaml")
    call_type, body = workloads()["chat"]
    gate = hook.health
    view = gate.index.router()
    ids = list(gate.index.ids_by_group()["qwen-coder"])
    per_block: list[float] = []

    async def chat(count: int) -> None:
        started = time.process_time()
        for index in range(count):
            await one_request(hook, served, call_type, body(index))
        per_block.append((time.process_time() - started) / count)

    async def cooldown_read(count: int) -> None:
        for _ in range(count):
            await view.cooldown_cache.async_get_active_cooldowns(ids, parent_otel_span=None)

    async def health_check(count: int) -> None:
        for _ in range(count):
            await gate.reroute("qwen-coder")

    cpu = _lowest(chat, requests, blocks)
    return {
        "litellm": installed_version(),
        "cpu_ms_per_request": round(1000 * cpu, 4),
        "blocks_cpu_ms": [round(1000 * s, 4) for s in per_block[1:]],  # without the warm-up
        "cooldown_read_us": round(1e6 * _lowest(cooldown_read, 2_000, blocks), 2),
        "health_check_us": round(1e6 * _lowest(health_check, 2_000, blocks), 2),
    }


def main() -> int:
    """`python -m scripts.bench.versions <requests> <blocks>`: the child's figures as one JSON line."""
    print(json.dumps(child(int(sys.argv[1]), int(sys.argv[2]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
