"""The benchmark's load generator: a bounded number of chat requests at a fixed concurrency.

One aiohttp session per phase, `concurrency` workers pulling from a shared counter, so exactly
`requests` are sent; each records its latency, status and whether the routing header came back.
Latencies are client-side wall time (connect + proxy + backend + read).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from plugins.classify.evaluation import percentile as nearest_rank
from plugins.record import HEADER

# A fixed mix of prompts, one per intent, so every configuration sees the same requests and the
# bundle's classifier does real work (the keyword patterns scan the whole prompt).
PROMPTS: tuple[str, ...] = (
    "Write a Python function that parses a CSV file and fix this bug: ```x = [1,2```",
    "Solve step by step: how many ways can 3 people sit in 5 chairs? Prove it.",
    "Tell me a story about the history of Rome.",
    "Refactor this javascript class so the unit tests pass and explain the stack trace.",
    "What is the probability of rolling two sixes with two dice? Calculate the ratio.",
    "Recommend a travel itinerary for a week in Portugal and write a short poem about it.",
)


@dataclass
class PhaseResult:
    """What one load phase observed from the client side."""

    requests: int
    concurrency: int
    wall_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    with_header: int = 0


def chat_body(model: str, content: str, stream: bool = False) -> dict[str, Any]:
    """A short chat completion request: one user message, at most 8 tokens back."""
    return {
        "model": model,
        "max_tokens": 8,
        "stream": stream,
        "messages": [{"role": "user", "content": content}],
    }


def request_body(index: int, model: str) -> bytes:
    return json.dumps(chat_body(model, PROMPTS[index % len(PROMPTS)])).encode()


async def run_phase(
    base_url: str,
    api_key: str | None,
    model: str,
    requests: int,
    concurrency: int,
    deadline: float,
    timeout_s: float = 30.0,
) -> PhaseResult:
    """Send `requests` chat completions; past `deadline` the rest count as errors, unsent."""
    result = PhaseResult(requests, concurrency)
    headers = {"content-type": "application/json"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    url = base_url.rstrip("/") + "/v1/chat/completions"
    bodies = [request_body(i, model) for i in range(len(PROMPTS))]
    next_index = 0
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=timeout_s)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal next_index
        while next_index < requests:
            index = next_index
            next_index += 1
            if time.monotonic() > deadline:
                result.errors += 1
                continue
            started = time.perf_counter()
            try:
                async with session.post(
                    url, data=bodies[index % len(bodies)], headers=headers
                ) as resp:
                    await resp.read()
                    status = resp.status
                    if HEADER in resp.headers:
                        result.with_header += 1
            except (TimeoutError, aiohttp.ClientError):
                status = 0
            result.latencies_ms.append((time.perf_counter() - started) * 1000.0)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status != 200:
                result.errors += 1

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        result.wall_s = time.perf_counter() - started
    return result


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100]); 0.0 for no values (a phase that sent nothing)."""
    return nearest_rank(values, q) if values else 0.0
