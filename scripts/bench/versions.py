"""The bundle's in-process cost under each tested LiteLLM, side by side in one run.

Each LiteLLM has its own environment (`.venv`: the locked 1.108.7; `.venv-compat-<version>`: made
by `make compat-env LITELLM=<version>`), so each measurement is `python -m scripts.bench.versions
<requests> <repeats>` in a child process of that environment, timing the chat workload
(scripts/bench/hook.py `bench_chat`); importing LiteLLM costs ~15 s, so each child measures several
times. The versions alternate round by round, so a burst of load from other processes on this
shared 2-core machine hits them alike, and each version's figure is its lowest measurement: load
only ever adds CPU time to this single-threaded loop.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from router_hooks.compat import parse_version
from scripts.stack import ROOT

LOCKED = ".venv"


def environments(versions: list[str], root: Path = ROOT) -> dict[str, Path]:
    """label -> python of that environment: the locked one first, then each compat one that exists."""
    found = {"locked": root / LOCKED / "bin" / "python"}
    for version in versions:
        python = root / f".venv-compat-{version}" / "bin" / "python"
        if python.exists():
            found[version] = python
    return found


def measure(python: Path, requests: int, repeats: int, timeout: float = 300) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    argv = [str(python), "-m", "scripts.bench.versions", str(requests), str(repeats)]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                          check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def bench_versions(versions: list[str], rounds: int = 2, repeats: int = 3,
                   requests: int = 2_000) -> dict[str, Any]:
    """{by_litellm: {version: {cpu_ms_per_request (the lowest), rounds_cpu_ms, ...}}, newest_over_locked}."""
    pythons = environments(versions)
    samples: dict[str, list[dict[str, Any]]] = {label: [] for label in pythons}
    for index in range(rounds):
        order = list(pythons) if index % 2 == 0 else list(reversed(pythons))
        for label in order:
            samples[label].append(measure(pythons[label], requests, repeats))
    by_version: dict[str, Any] = {}
    for runs in samples.values():
        cpu = [ms for run in runs for ms in run["repeats_cpu_ms"]]
        by_version[str(runs[0]["litellm"])] = {
            "cpu_ms_per_request": min(cpu), "rounds_cpu_ms": cpu, "requests": requests,
            "p50_ms": min(run["p50_ms"] for run in runs),
        }
    result: dict[str, Any] = {"by_litellm": by_version}
    locked = by_version[str(samples["locked"][0]["litellm"])]["cpu_ms_per_request"]
    newest = by_version[max(by_version, key=parse_version)]["cpu_ms_per_request"]
    result["newest_over_locked"] = round(newest / locked, 3) if locked else None
    return result



def main() -> int:
    """The child: the lowest of `repeats` chat measurements under this environment's LiteLLM, as one
    JSON line."""
    from router_hooks.compat import installed_version
    from scripts.bench.hook import bench_chat

    requests, repeats = int(sys.argv[1]), int(sys.argv[2])
    runs = [bench_chat(ROOT / "litellm_config.yaml", requests) for _ in range(repeats)]
    best = min(runs, key=lambda run: run["cpu_ms_per_request"])
    print(json.dumps({"litellm": installed_version(), **best,
                      "repeats_cpu_ms": [run["cpu_ms_per_request"] for run in runs]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
