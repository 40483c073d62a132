"""`make bench-loop`: what shadow evaluation and capture (issue 19) cost a proxy under load.

Two proxies from the shipped config, both with the `learned` classifier, against the bench's
instant stub backend: `bundle_learned` as shipped, and `bundle_loop` with `shadow: {classifier:
learned, sample_rate: 1.0}` and `capture: {sample_rate: 1.0}` into a temporary directory. The
real-chat mix at concurrency 32 in alternating rounds (the order rotates, so load from other
processes hits both alike); per configuration: rps, the proxy process's CPU per request, the
captured lines and the shadow decisions counted. The in-process request-path cost of the same
features is measured by the hook bench; this is the whole proxy.

Environment: BENCH_REQUESTS (1200 per configuration), BENCH_ROUNDS (6), BENCH_DEADLINE_S (300),
BENCH_OUT (bench/loop.json).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from scripts.bench.checks import cold_start
from scripts.bench.configs import write_configs
from scripts.bench.proc import machine
from scripts.bench.report import phase_stats
from scripts.bench.run import SHIPPED, VIRTUAL_MODEL, Target, start_stub
from scripts.stack import BACKENDS, ROOT, Managed, exporter_url, free_port, proxy_env, start_proxy

NAMES = ("bundle_learned", "bundle_loop")


def loop_config(learned: Path, capture_dir: Path, out: Path) -> Path:
    config = yaml.safe_load(learned.read_text())
    section = config["agent_router"]
    section["shadow"] = {"classifier": "learned", "sample_rate": 1.0}
    section["capture"] = {"dir": str(capture_dir), "sample_rate": 1.0}
    out.write_text(yaml.safe_dump(config, sort_keys=False))
    return out


def counted(exporter: str, name: str) -> float:
    text = httpx.get(exporter + "/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + "{")
               or line.startswith(name + " "))


async def rounds(targets: dict[str, Target], total: int, count: int, deadline: float) -> None:
    for target in targets.values():
        await target.warm_up(deadline)
    for index in range(count):
        order = list(NAMES[index % 2:] + NAMES[:index % 2])
        for name in order:
            await targets[name].run("c32", total // count, 32, deadline)
            await targets[name].run("c1", 10, 1, deadline)


def main() -> int:
    total = int(os.environ.get("BENCH_REQUESTS", 1200))
    count = int(os.environ.get("BENCH_ROUNDS", 6))
    deadline = time.monotonic() + int(os.environ.get("BENCH_DEADLINE_S", 300))
    out = Path(os.environ.get("BENCH_OUT", ROOT / "bench" / "loop.json"))
    results: dict[str, Any] = {"machine": machine()}
    managed: list[Managed] = []
    with tempfile.TemporaryDirectory(prefix="agent-router-bench-loop-") as tmp:
        work = Path(tmp)
        try:
            stub, stub_url = start_stub(work / "logs")
            managed.append(stub)
            key = "sk-bench-" + secrets.token_hex(12)
            env = {**proxy_env(os.environ, key, {var: stub_url + "/v1" for var, _, _ in BACKENDS}),
                   "AGENT_ROUTER_METRICS_HOST": "127.0.0.1", "AGENT_ROUTER_METRICS_PORT": "auto"}
            learned = write_configs(SHIPPED, work / "configs")["bundle_learned"]
            configs = {"bundle_learned": learned,
                       "bundle_loop": loop_config(learned, work / "capture", work / "configs" / "bundle_loop.yaml")}
            targets: dict[str, Target] = {}
            for name in NAMES:
                port, t0 = free_port(), time.monotonic()
                proc = start_proxy(configs[name], port, env, work / "logs", name=name)
                managed.append(proc)
                url = f"http://127.0.0.1:{port}"
                cold_start(url, key, proc, t0, routed=True)
                targets[name] = Target(name, url, key, VIRTUAL_MODEL, proc,
                                       exporter_url(url, key).removesuffix("/metrics"))
            asyncio.run(rounds(targets, total, count, deadline))
            for name, target in targets.items():
                results[name] = phase_stats(target.phases)
            exporter = targets["bundle_loop"].exporter or ""
            results["bundle_loop"]["shadow_decisions"] = counted(exporter, "agent_router_shadow_decisions_total")
            results["bundle_loop"]["shadow_dropped"] = counted(exporter, "agent_router_shadow_dropped_total")
            results["bundle_loop"]["capture_dropped"] = counted(exporter, "agent_router_capture_dropped_total")
            results["bundle_loop"]["captured_lines"] = sum(
                len(p.read_text().splitlines()) for p in (work / "capture").glob("*.jsonl"))
            # The workers' own thread CPU, apart from the request path's (/router/info).
            info = httpx.get(targets["bundle_loop"].url + "/router/info", timeout=10,
                             headers={"authorization": f"Bearer {key}"}).json()
            for part in ("shadow", "capture"):
                seconds = float((info.get(part) or {}).get("cpu_seconds", 0.0))
                done = results["bundle_loop"]["shadow_decisions" if part == "shadow" else "captured_lines"]
                per_item = round(1000 * seconds / done, 3) if done else None
                results["bundle_loop"][f"{part}_worker_cpu_ms_per_item"] = per_item
        finally:
            for proc in reversed(managed):
                proc.stop()
    on, off = results["bundle_loop"], results["bundle_learned"]
    results["ratio"] = {"rps": round(on["rps"] / off["rps"], 3) if off["rps"] else None,
                        "cpu_ms_per_request_delta": round(on["cpu_ms_per_request"] - off["cpu_ms_per_request"], 3)}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    for name in NAMES:
        r = results[name]
        print(f"{name:15} rps {r['rps']:7.1f}  cpu/req {r['cpu_ms_per_request']:6.2f} ms  p50 {r['p50_ms']:6.1f} ms  "
              f"errors {r['errors']}")
    print(f"loop on / off: rps x{results['ratio']['rps']}, cpu +{results['ratio']['cpu_ms_per_request_delta']} ms "
          f"per request; shadow decisions {on['shadow_decisions']:.0f}, dropped {on['shadow_dropped']:.0f}; "
          f"captured lines {on['captured_lines']}, dropped {on['capture_dropped']:.0f}; worker CPU per item: "
          f"shadow {on['shadow_worker_cpu_ms_per_item']} ms, capture {on['capture_worker_cpu_ms_per_item']} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
