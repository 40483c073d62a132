"""`make bench`: what the bundle costs, measured on loopback against an instant stub backend.

One run: each classifier's mean cost over the real-chat length mix (the full per-length table is
`make bench-classifier`); the event loop's lag with the encoder busy in a pool thread (an in-process
probe, scripts/bench/encoder_lag.py: the lag gate); the bundle's hook and callbacks alone (in process), also under each
newer tested LiteLLM beside the locked one (scripts/bench/versions.py); cold start
to the first routed response for each proxy configuration (started one after the other); then
the real-chat mix (scripts/bench/chat_mix.py) against the stub directly and against
`litellm_default`, `litellm_tuned`, `bundle_learned` and `bundle_encoder` (see
scripts/bench/configs.py), in rounds whose order rotates, so a burst of load from other processes
on this shared machine hits every configuration alike, with a liveliness probe beside the load
(the proxy's responsiveness under load, reported); finally a feature check of the bundle (header,
metrics, fallback, health) and issue 18's encoder gates (scripts/bench/gates.py). Writes bench/results.json and prints a
table. Bounded: fixed request counts, and a deadline after which whole rounds are skipped (and
reported as skipped).

Environment: BENCH_REQUESTS (2000), BENCH_CONCURRENCY (32), BENCH_SERIAL_REQUESTS (300),
BENCH_ROUNDS (8), BENCH_DEADLINE_S (540), BENCH_OUT (bench/results.json), BENCH_LITELLM_VERSIONS
("1.110.2": space-separated; each needs `make compat-env LITELLM=<version>`, which `make bench` runs
for the default), BENCH_ENCODER_MODEL (the encoder artifact; default the packaged
intent-encoder-v5; without one, `bundle_encoder` is skipped and the log says so).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from plugins.classify.onnx_encoder import EncoderClassifier
from scripts.bench.chat_mix import length_profile
from scripts.bench.checks import check_features, cold_start, read_fallbacks
from scripts.bench.classifier import ENCODER_MODEL_ENV, bench_mix, encoder_dir
from scripts.bench.configs import BUNDLES, write_configs
from scripts.bench.encoder_lag import measure as encoder_lag
from scripts.bench.gates import encoder_gates
from scripts.bench.hook import bench_hook
from scripts.bench.load import PhaseResult, run_phase
from scripts.bench.proc import cpu_seconds, machine, peak_rss_mb
from scripts.bench.report import phase_stats, ratios, table
from scripts.bench.versions import bench_versions
from scripts.stack import (
    BACKENDS,
    ROOT,
    Managed,
    exporter_url,
    free_port,
    proxy_env,
    spawn,
    start_proxy,
    wait_http,
)

SHIPPED = ROOT / "litellm_config.yaml"
PROXIES = ("litellm_default", "litellm_tuned", "bundle_learned", "bundle_encoder")
# The stock proxy and the learned bundle twice, mirrored (single start-ups vary by seconds here);
# the encoder bundle once, to start it.
COLD_START_ORDER = ("litellm_default", "bundle_learned", "litellm_tuned", "bundle_encoder", "bundle_learned",
                    "litellm_default")
VIRTUAL_MODEL = "agent-router"
WARMUP_REQUESTS = 40
# Seconds of the in-process lag probe, idle and again with the encoder busy (scripts/bench/encoder_lag.py).
LAG_PROBE_S = 3.0


def _int_env(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def start_stub(log_dir: Path, timeout: float = 20) -> tuple[Managed, str]:
    """The stub on a port of the kernel's choice, read back from the file it writes once listening."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    port_file = log_dir / "stub.port"
    port_file.unlink(missing_ok=True)
    stub = spawn("stub", [sys.executable, "-m", "scripts.bench.stub_backend", "--port", "0",
                          "--port-file", str(port_file)], env, log_dir)
    deadline = time.monotonic() + timeout
    while not port_file.exists():
        if not stub.alive or time.monotonic() > deadline:
            stub.stop()
            raise RuntimeError(f"the bench stub did not report its port:\n{stub.log_tail()}")
        time.sleep(0.05)
    port = int(port_file.read_text())
    wait_http(f"http://127.0.0.1:{port}/health", stub, timeout=timeout)
    return stub, f"http://127.0.0.1:{port}"


class Target:
    """One system under load: a URL, an optional key and process (for /proc accounting)."""

    def __init__(self, name: str, url: str, key: str | None, model: str, process: Managed | None,
                 exporter: str | None = None) -> None:
        self.name, self.url, self.key, self.model, self.process = name, url, key, model, process
        self.exporter = exporter  # the bundle's metrics exporter, for its fallback counter
        self.phases: dict[str, list[tuple[PhaseResult, float]]] = {"c32": [], "c1": []}
        # Requests sent so far, warm-up included: each request's prompt is made distinct by its
        # number, so none repeats a view the encoder's continuity cache has seen.
        self.sent = 0
        # The fallback counter's increase during the c=32 phases, by reason.
        self.fallbacks: dict[str, float] = {}
        self.unread_phases = 0

    async def warm_up(self, deadline: float) -> None:
        # The liveliness route too: its first calls are slower (LiteLLM imports on first use).
        await run_phase(self.url, self.key, self.model, WARMUP_REQUESTS, 4, deadline, first=self.sent,
                        probed=self.process is not None)
        self.sent += WARMUP_REQUESTS

    async def run(self, phase: str, requests: int, concurrency: int, deadline: float) -> None:
        pid = self.process.proc.pid if self.process else None
        counted = self.exporter is not None and phase == "c32"
        fallbacks = await read_fallbacks(self.exporter) if counted and self.exporter else None
        before = cpu_seconds(pid) if pid else 0.0
        result = await run_phase(self.url, self.key, self.model, requests, concurrency, deadline,
                                 # The lag is read under load; at c=1 a probe would be a second client.
                                 first=self.sent, probed=pid is not None and concurrency > 1)
        cpu = (cpu_seconds(pid) - before) if pid else 0.0
        self.sent += requests
        self.phases[phase].append((result, cpu))
        if counted and self.exporter:
            after = await read_fallbacks(self.exporter)
            if fallbacks is None or after is None:
                self.unread_phases += 1  # the exporter did not answer: this phase's increase is unknown
                return
            for reason, total in after.items():
                self.fallbacks[reason] = self.fallbacks.get(reason, 0.0) + total - fallbacks.get(reason, 0.0)


def _rotation(names: list[str], round_index: int) -> list[str]:
    shift = round_index % len(names)
    return names[shift:] + names[:shift]


async def run_rounds(targets: dict[str, Target], deadline: float, log: list[str]) -> None:
    total = _int_env("BENCH_REQUESTS", 2000)
    concurrency = _int_env("BENCH_CONCURRENCY", 32)
    serial = _int_env("BENCH_SERIAL_REQUESTS", 300)
    rounds = max(1, _int_env("BENCH_ROUNDS", 8))
    names = [n for n in PROXIES if n in targets]
    for target in targets.values():  # first requests import lazily-loaded modules: not measured
        await target.warm_up(deadline)
    await targets["direct"].run("c32", total, concurrency, deadline)
    await targets["direct"].run("c1", serial, 1, deadline)
    slowest = 0.0
    for index in range(rounds):
        # Whole rounds only, so every configuration gets the same number: a round that would not
        # finish before the deadline (judged by the slowest so far) is not started.
        if index and time.monotonic() + slowest > deadline:
            log.append(f"rounds {index + 1}-{rounds}: skipped (deadline); {index} of {rounds} run")
            print(f"  deadline: stopping after {index} of {rounds} rounds", flush=True)
            break
        round_started = time.monotonic()
        order = _rotation(names, index)
        for name in order:
            await targets[name].run("c32", total // rounds, concurrency, deadline)
            await targets[name].run("c1", serial // rounds, 1, deadline)
        slowest = max(slowest, time.monotonic() - round_started)
        log.append(f"round {index + 1}: {' -> '.join(order)} ({time.monotonic() - round_started:.0f} s)")
        print(f"  round {index + 1}/{rounds} done ({' -> '.join(order)})", flush=True)


def main() -> int:
    started = time.monotonic()
    deadline = started + _int_env("BENCH_DEADLINE_S", 540)
    out = Path(os.environ.get("BENCH_OUT", ROOT / "bench" / "results.json"))
    results: dict[str, Any] = {"machine": machine()}
    print(f"machine: {results['machine']}", flush=True)
    encoder = encoder_dir(os.environ)
    with_encoder = (encoder / "manifest.json").is_file()
    proxies = PROXIES if with_encoder else tuple(n for n in PROXIES if n != "bundle_encoder")
    results["chat_mix"] = length_profile()
    print(f"classifiers on the real-chat mix ({'learned, encoder ' + str(encoder) if with_encoder else 'learned'})"
          " ...", flush=True)
    results["classifier_mix"] = bench_mix(SHIPPED, ("learned", "encoder") if with_encoder else ("learned",))
    if with_encoder:
        print("the event loop's lag with the encoder busy in a pool thread (in-process probe) ...", flush=True)
        results["encoder_lag"] = asyncio.run(encoder_lag(EncoderClassifier.load(encoder, "general"), LAG_PROBE_S))
    print("the bundle's hook and callbacks alone ...", flush=True)
    results["bundle_hook"] = bench_hook(SHIPPED)
    versions = os.environ.get("BENCH_LITELLM_VERSIONS", "1.110.2").split()
    print(f"the bundle's hook under LiteLLM {' and '.join(['1.108.7 (locked)', *versions])} ...", flush=True)
    results["bundle_hook_by_litellm"] = bench_versions(versions)
    managed: list[Managed] = []
    log: list[str] = [] if with_encoder else [f"bundle_encoder: skipped (no encoder artifact at {encoder})"]
    with tempfile.TemporaryDirectory(prefix="agent-router-bench-") as tmp:
        work = Path(tmp)
        try:
            stub, stub_url = start_stub(work / "logs")
            managed.append(stub)
            api_bases = {var: stub_url + "/v1" for var, _, _ in BACKENDS}
            key = "sk-bench-" + secrets.token_hex(12)
            env = proxy_env(os.environ, key, api_bases)
            configs = write_configs(SHIPPED, work / "configs", os.environ.get(ENCODER_MODEL_ENV))
            # Each bundle's own exporter on a loopback port of the kernel's choice (the shipped
            # 0.0.0.0:8001 may be taken by another proxy on this machine), read back from its
            # /router/health once it serves; the other configurations have none.
            exporters: dict[str, str] = {}
            targets = {"direct": Target("direct", stub_url, None, BACKENDS[0][1], None)}
            cold: dict[str, list[float]] = {}
            # One at a time (start-up is CPU-bound and would overlap); the stock proxy and the
            # bundle twice, in mirrored order, because single start-ups vary by seconds here.
            for name in (n for n in COLD_START_ORDER if n in proxies):
                if name in targets:
                    stopping = targets.pop(name).process
                    assert stopping is not None
                    stopping.stop()
                    managed.remove(stopping)
                proxy_env_of = env
                if name in BUNDLES:
                    proxy_env_of = {**env, "AGENT_ROUTER_METRICS_HOST": "127.0.0.1",
                                    "AGENT_ROUTER_METRICS_PORT": "auto"}
                port = free_port()
                t0 = time.monotonic()
                proc = start_proxy(configs[name], port, proxy_env_of, work / "logs", name=name)
                managed.append(proc)
                url = f"http://127.0.0.1:{port}"
                seconds = cold_start(url, key, proc, t0, routed=name in BUNDLES)
                cold.setdefault(name, []).append(round(seconds, 2))
                print(f"  {name}: first routed response after {seconds:.2f} s", flush=True)
                if name in BUNDLES:
                    exporters[name] = exporter_url(url, key).removesuffix("/metrics")
                targets[name] = Target(name, url, key, VIRTUAL_MODEL, proc, exporters.get(name))
            results["cold_start_s"] = {
                "with_bundle": round(statistics.mean(cold["bundle_learned"]), 2),
                "without_bundle": round(statistics.mean(cold["litellm_default"]), 2),
                "litellm_tuned": round(statistics.mean(cold["litellm_tuned"]), 2),
                "samples": cold,
            }
            print("load ...", flush=True)
            asyncio.run(run_rounds(targets, deadline, log))
            for name, target in targets.items():
                results[name] = phase_stats(target.phases)
                if target.process is not None:
                    results[name]["peak_rss_mb"] = round(peak_rss_mb(target.process.proc.pid), 1)
                if target.exporter is not None:
                    results[name]["fallbacks_total"] = {k: round(v) for k, v in sorted(target.fallbacks.items())}
                    results[name]["fallbacks_unread_phases"] = target.unread_phases
            results["bundle_learned"]["features"] = asyncio.run(
                check_features(targets["bundle_learned"].url, key, stub_url, exporters["bundle_learned"])
            )
        finally:
            for proc in reversed(managed):
                proc.stop()
    results["ratios"] = ratios(results)
    results["encoder_gates"] = encoder_gates(results)
    tuned_cpu = results["litellm_tuned"]["cpu_ms_per_request"]
    if tuned_cpu:  # the bundle's own CPU as a share of the proxy's, measured without subtraction
        results["bundle_hook"]["share_of_tuned_cpu"] = round(
            results["bundle_hook"]["cpu_ms_per_request"] / tuned_cpu, 4
        )
    results["run"] = {
        "duration_s": round(time.monotonic() - started, 1),
        "log": log,
        "requests_c32": _int_env("BENCH_REQUESTS", 2000),
        "concurrency": _int_env("BENCH_CONCURRENCY", 32),
        "requests_c1": _int_env("BENCH_SERIAL_REQUESTS", 300),
        "rounds": _int_env("BENCH_ROUNDS", 8),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    print(f"wrote {out} in {results['run']['duration_s']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
