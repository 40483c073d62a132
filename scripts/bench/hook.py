"""The bundle's own code per request, in process: the hook's three per-request entry points, on
every surface's request bodies.

On this shared 2-core machine the proxy's CPU per request varies by ±15% from one round to the
next, far more than the bundle's cost, so the bundle's share is also measured directly: the
pre-call hook (prompt extraction, classification, context-window check over the whole request,
health check against a real LiteLLM Router's cooldowns, metadata), the response-header hook and
the success callback (metrics), called as LiteLLM calls them, timed with the process CPU clock.
Subtracting two noisy proxy figures cannot resolve 2%; this can."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry

from plugins.config import load_config
from scripts.bench.bodies import Body, workloads
from scripts.bench.load import percentile
from scripts.stack import BACKENDS

# router_settings that shape per-request routing; the rest (Redis, timeouts) do not matter here.
ROUTER_KEYS = ("routing_strategy", "num_retries", "fallbacks", "allowed_fails", "cooldown_time")
# Requests per workload; the 200-message and 1 MB workloads get fewer (each costs more, and the
# figure is a mean over hundreds either way).
REQUESTS = 3_000
LARGE_REQUESTS = 300
WARMUP = 50
# The bundle's budget (issue 12): hook and callbacks at most 0.6 ms CPU per request, every surface.
BUDGET_MS = 0.6


def build_router(config_path: Path) -> Any:
    """A real LiteLLM Router over the config's model list and router settings (never called)."""
    from litellm.router import Router

    document = yaml.safe_load(config_path.read_text())
    for var, _, _ in BACKENDS:  # the deployments' api_base come from the environment
        os.environ.setdefault(var, "http://127.0.0.1:9/v1")
    settings = {k: v for k, v in (document.get("router_settings") or {}).items() if k in ROUTER_KEYS}
    return Router(model_list=document["model_list"], **settings)


def build_hook(config_path: Path) -> tuple[Any, dict[str, str]]:
    """The bundle's hook, built as the proxy builds it (never started), and model group -> the id
    of its deployment (what LiteLLM reports as the deployment that answered)."""
    # Importing litellm fetches the remote cost map unless told not to (~8 s of retries offline).
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from router_hooks.bundle import build_bundle  # imports litellm: only when measuring
    from router_hooks.compat import router_view

    # Bound to a Router made here instead of the proxy's, read as the proxy's is (through compat):
    # the per-request health check reads the fallback chains and LiteLLM's cooldown store, the
    # header reads the served deployment's name.
    view = router_view(build_router(config_path))
    bundle = build_bundle(load_config(config_path), lambda: view, {"AGENT_ROUTER_METRICS_PORT": "0"},
                          registry=CollectorRegistry())
    served = {d["model_name"]: d["model_info"]["id"] for d in (view.model_list if view is not None else ())}
    return bundle.hook, served


def tenant_token() -> Any:
    """A caller as LiteLLM hands it to the hook (issue 20): a key limited to agent-router and one
    target, in a team with its own policy and budget, over the budget's share: every tenant step
    (access, policy, budget) runs on each request."""
    from litellm.proxy._types import UserAPIKeyAuth

    policy = {"agent_router": {"intent_models": {"general": "llama"},
                               "budget": {"at": 0.8, "intent_models": {"reasoning": "llama"}}}}
    return UserAPIKeyAuth(api_key="sk-bench-tenant", models=["agent-router", "llama", "deepseek-r1"],
                          team_id="team-bench", team_models=[], team_metadata=policy,
                          spend=9.0, max_budget=10.0)


async def one_request(hook: Any, served: dict[str, str], call_type: str, body: Body, token: Any = None) -> str:
    """One request through the hook as LiteLLM calls it; returns the model it went to, or the
    HTTP status the hook refused it with."""
    from fastapi import HTTPException
    from litellm.proxy._types import ProxyException

    data = {**body, "metadata": {}}
    try:
        data = await hook.async_pre_call_hook(token, None, data, call_type)
    except HTTPException as exc:
        return str(exc.status_code)  # refused: LiteLLM answers the client, no callbacks follow
    except ProxyException as exc:
        return str(exc.code)  # refused in the called API's error format (e.g. over every context window)
    model = data["model"]
    await hook.async_post_call_response_headers_hook(data, None, None, None, {"model_id": served.get(model)})
    now = dt.datetime.now()
    kwargs = {
        "standard_logging_object": {"model_group": model},
        "litellm_params": {key: data[key] for key in ("metadata", "litellm_metadata") if key in data},
    }
    await hook.async_log_success_event(kwargs, None, now, now)
    return str(model)


def _measure(hook: Any, served: dict[str, str], call_type: str, body: Callable[[int], Body],
             requests: int, token: Any = None) -> dict[str, Any]:
    async def run() -> tuple[float, list[float], dict[str, int]]:
        for index in range(WARMUP):  # label children, compiled patterns
            await one_request(hook, served, call_type, body(index), token)
        walls: list[float] = []
        outcomes: dict[str, int] = {}
        cpu_start = time.process_time()
        for index in range(requests):
            started = time.perf_counter()
            outcome = await one_request(hook, served, call_type, body(index), token)
            walls.append((time.perf_counter() - started) * 1000.0)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        return time.process_time() - cpu_start, walls, outcomes

    cpu, walls, outcomes = asyncio.run(run())
    return {
        **_measurement(call_type, body, requests),
        "call_type": call_type,
        "requests": requests,
        "cpu_ms_per_request": round(1000.0 * cpu / requests, 4),
        "p50_ms": round(percentile(walls, 50), 4),
        "p99_ms": round(percentile(walls, 99), 4),
        "outcomes": outcomes,
    }


def _measurement(call_type: str, body: Callable[[int], Body], requests: int) -> dict[str, float]:
    """CPU ms of the context-window measurement alone (whole body walked, tokens estimated):
    surface-aware already, so a figure for every surface even where the hook does not route yet."""
    from plugins.context_window import estimate_tokens
    from plugins.request_size import measure_request

    bodies = [body(index) for index in range(requests)]
    started = time.process_time()
    for data in bodies:
        size = measure_request(data, call_type)
        if size is not None:
            estimate_tokens(size)
    cpu = time.process_time() - started
    return {"measure_cpu_ms_per_request": round(1000.0 * cpu / requests, 4)}


def bench_hook(config_path: Path, requests: int = REQUESTS, tenant: bool = False) -> dict[str, Any]:
    """CPU ms per request of the bundle's hook and callbacks, and wall p50/p99, per workload.

    The top-level figures are the short chat workload's (the load runs' traffic); `surfaces`
    holds every workload, `max_cpu_ms_per_request` the most expensive one. `tenant`: every request
    comes from `tenant_token()` instead of no auth object (the tenancy steps' cost, issue 20).
    """
    hook, served = build_hook(config_path)
    token = tenant_token() if tenant else None
    surfaces: dict[str, Any] = {}
    for name, (call_type, body) in workloads().items():
        count = requests if not any(tag in name for tag in ("1mb", "200")) else min(requests, LARGE_REQUESTS)
        surfaces[name] = _measure(hook, served, call_type, body, count, token)
    chat = surfaces["chat"]
    return {
        "requests": chat["requests"],
        "cpu_ms_per_request": chat["cpu_ms_per_request"],
        "p50_ms": chat["p50_ms"],
        "p99_ms": chat["p99_ms"],
        "max_cpu_ms_per_request": max(s["cpu_ms_per_request"] for s in surfaces.values()),
        "budget_cpu_ms_per_request": BUDGET_MS,
        "over_budget": sorted(n for n, s in surfaces.items() if s["cpu_ms_per_request"] > BUDGET_MS),
        "surfaces": surfaces,
    }


def main() -> int:
    """`python -m scripts.bench.hook [--tenant] [config]`: this part alone (seconds, not the full
    bench); `--tenant` measures requests from a key with a team, a policy and a budget."""
    import json
    import sys

    from scripts.stack import ROOT

    args = [a for a in sys.argv[1:] if a != "--tenant"]
    path = Path(args[0]) if args else ROOT / "litellm_config.yaml"
    print(json.dumps(bench_hook(path, tenant="--tenant" in sys.argv[1:]), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
