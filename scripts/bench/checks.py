"""Start-up time and a feature check for the benchmark's proxies.

`cold_start` is measured to the first *routed* response (a chat completion for the virtual model
that, with the bundle, carries the routing header), not to the first open port. `check_features`
proves the tuned settings did not trade a feature away: header (plain and streaming), metrics,
fallback (the stub fails one backend on request) and health.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx

from plugins.record import HEADER
from scripts.bench.load import PROMPTS, chat_body
from scripts.stack import BACKENDS, Managed

CODE_PROMPT = PROMPTS[0]
QWEN_SERVED = BACKENDS[1][1]
FALLBACKS = "agent_router_classifier_fallbacks_total"
_FALLBACK_SAMPLE = re.compile(rf'^{FALLBACKS}{{[^}}]*reason="([a-z_]+)"[^}}]*}} ([0-9.e+]+)$', re.MULTILINE)


def fallback_counts(exposition: str) -> dict[str, float]:
    """The fallback counter by reason from a Prometheus text exposition ({} when it has none)."""
    return {reason: float(value) for reason, value in _FALLBACK_SAMPLE.findall(exposition)}


async def read_fallbacks(exporter_url: str) -> dict[str, float] | None:
    """The bundle's fallback counter by reason, read from its exporter's /metrics; None when the
    exporter does not answer (the header's `classifier` field still counts the fallbacks)."""
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            resp = await client.get(exporter_url + "/metrics")
    except httpx.TransportError:
        return None
    return fallback_counts(resp.text) if resp.status_code == 200 else None


def cold_start(url: str, key: str, proc: Managed, t0: float, routed: bool, timeout: float = 180.0) -> float:
    """Seconds from `t0` (spawn) to the first 200 chat response (with the header when `routed`)."""
    body = chat_body("agent-router", CODE_PROMPT)
    headers = {"authorization": f"Bearer {key}"}
    with httpx.Client(timeout=10) as client:
        while time.monotonic() - t0 < timeout:
            if not proc.alive:
                raise RuntimeError(f"{proc.name} exited during start-up:\n{proc.log_tail()}")
            try:
                resp = client.post(url + "/v1/chat/completions", json=body, headers=headers)
                if resp.status_code == 200 and (not routed or HEADER in resp.headers):
                    return time.monotonic() - t0
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise TimeoutError(f"{proc.name}: no routed response after {timeout:.0f} s:\n{proc.log_tail()}")


def _meta(resp: httpx.Response) -> dict[str, Any]:
    raw = resp.headers.get(HEADER)
    return dict(json.loads(raw)) if raw else {}


async def check_features(url: str, key: str, stub_url: str, exporter_url: str) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {key}"}
    found: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        resp = await client.post("/v1/chat/completions", json=chat_body("agent-router", CODE_PROMPT))
        meta = _meta(resp)
        found["header"] = resp.status_code == 200 and meta.get("model_id") == "qwen-coder"
        async with client.stream(
            "POST", "/v1/chat/completions", json=chat_body("agent-router", CODE_PROMPT, stream=True)
        ) as stream:
            lines = [line async for line in stream.aiter_lines() if line.startswith("data: ")]
            found["streaming_header"] = (
                stream.status_code == 200 and HEADER in stream.headers and lines[-1:] == ["data: [DONE]"]
            )
        metrics = await client.get("/metrics", follow_redirects=True)  # LiteLLM: 307 to /metrics/
        found["metrics_status"] = metrics.status_code
        found["metrics"] = metrics.status_code == 200 and "agent_router_requests_total" in metrics.text
        found["litellm_metrics"] = metrics.status_code == 200 and "litellm_" in metrics.text
        exported = await client.get(exporter_url + "/metrics")
        found["exporter_metrics"] = exported.status_code == 200 and "agent_router_requests_total" in exported.text
        live = await client.get("/health/liveliness")
        ready = await client.get("/health/readiness")
        found["health"] = live.status_code == 200 and ready.status_code == 200
        async with httpx.AsyncClient(base_url=stub_url, timeout=10) as stub:
            await stub.post("/control/fail", json={"models": [QWEN_SERVED]})
            try:
                resp = await client.post("/v1/chat/completions", json=chat_body("agent-router", CODE_PROMPT))
                meta = _meta(resp)
                found["fallback"] = (
                    resp.status_code == 200
                    and meta.get("fallback_used") is True
                    and meta.get("primary_model") == "qwen-coder"
                )
                found["fallback_served_by"] = meta.get("model_id")
            finally:
                await stub.post("/control/fail", json={"models": []})
    return found
