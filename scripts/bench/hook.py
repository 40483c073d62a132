"""The bundle's own code per request, in process: the hook's three per-request entry points.

On this shared 2-core machine the proxy's CPU per request varies by ±15% from one round to the
next, far more than the bundle's cost, so the bundle's share is also measured directly: the
pre-call hook (prompt extraction, classification, health check against a real LiteLLM Router's
cooldowns, metadata), the response-header hook and the success callback (metrics), called as
LiteLLM calls them, on the benchmark's prompts, timed with the process CPU clock. Subtracting
two noisy proxy figures cannot resolve 2%; this can."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry

from plugins.config import load_config
from scripts.bench.load import PROMPTS, percentile
from scripts.stack import BACKENDS

# router_settings that shape per-request routing; the rest (Redis, timeouts) do not matter here.
ROUTER_KEYS = ("routing_strategy", "num_retries", "fallbacks", "allowed_fails", "cooldown_time")


def _router(config_path: Path) -> Any:
    """A real LiteLLM Router over the shipped model list and router settings (never called)."""
    from litellm.router import Router

    document = yaml.safe_load(config_path.read_text())
    for var, _, _ in BACKENDS:  # the deployments' api_base come from the environment
        os.environ.setdefault(var, "http://127.0.0.1:9/v1")
    settings = {k: v for k, v in (document.get("router_settings") or {}).items() if k in ROUTER_KEYS}
    return Router(model_list=document["model_list"], **settings)


def _hook(config_path: Path) -> tuple[Any, str]:
    """The bundle's hook, built as the proxy builds it (never started), and a deployment id to answer with."""
    # Importing litellm fetches the remote cost map unless told not to (~8 s of retries offline).
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    from router_hooks.bundle import build_bundle  # imports litellm: only when measuring

    # Bound to a Router made here instead of the proxy's: the per-request health check reads the
    # fallback chains and LiteLLM's cooldown cache, the header reads the served deployment's name.
    router = _router(config_path)
    bundle = build_bundle(load_config(config_path), lambda: router, {"AGENT_ROUTER_METRICS_PORT": "0"},
                          registry=CollectorRegistry())
    served = next(d["model_info"]["id"] for d in router.model_list if d["model_name"] == "qwen-coder")
    return bundle.hook, served


async def _one(hook: Any, served: str, index: int) -> None:
    content = PROMPTS[index % len(PROMPTS)]
    data: dict[str, Any] = {
        "model": "agent-router",
        "messages": [{"role": "user", "content": content}],
        "metadata": {},
    }
    data = await hook.async_pre_call_hook(None, None, data, "acompletion")
    await hook.async_post_call_response_headers_hook(data, None, None, None, {"model_id": served})
    now = dt.datetime.now()
    kwargs = {
        "standard_logging_object": {"model_group": data["model"]},
        "litellm_params": {"metadata": data["metadata"]},
    }
    await hook.async_log_success_event(kwargs, None, now, now)


def bench_hook(config_path: Path, requests: int = 3_000) -> dict[str, float]:
    """CPU ms per request of the bundle's hook and callbacks, and per-request wall p50/p99."""
    hook, served = _hook(config_path)

    async def run() -> tuple[float, list[float]]:
        for index in range(50):  # warm-up: label children, compiled patterns
            await _one(hook, served, index)
        walls: list[float] = []
        cpu_start = time.process_time()
        for index in range(requests):
            started = time.perf_counter()
            await _one(hook, served, index)
            walls.append((time.perf_counter() - started) * 1000.0)
        return time.process_time() - cpu_start, walls

    cpu, walls = asyncio.run(run())
    return {
        "requests": requests,
        "cpu_ms_per_request": round(1000.0 * cpu / requests, 4),
        "p50_ms": round(percentile(walls, 50), 4),
        "p99_ms": round(percentile(walls, 99), 4),
    }
