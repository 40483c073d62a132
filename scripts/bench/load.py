"""The benchmark's load generator: a bounded number of chat requests at a fixed concurrency.

One aiohttp session per phase, `concurrency` workers pulling from a shared counter, so exactly
`requests` are sent; each records its latency, status, whether the routing header came back and
which classifier it names. Latencies are client-side wall time (connect + proxy + backend + read).
The prompts are the real-chat length mix (scripts/bench/chat_mix.py), each made distinct.

Beside the load, an optional probe calls `/health/liveliness` one at a time: a request that does
no work, so its latency is how long the proxy's event loop keeps a new request waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from plugins.classify.evaluation import percentile as nearest_rank
from plugins.record import HEADER
from scripts.bench.chat_mix import chat_mix, unique

# Time between the end of one liveliness probe and the next: ~10 a second, a few percent of the
# load's requests, and the same for every proxy configuration.
PROBE_INTERVAL_S = 0.1
LIVELINESS = "/health/liveliness"

# Six short prompts, two per intent: the in-process hook benchmark's and the feature check's
# workload (scripts/bench/bodies.py); the load phase sends the real-chat mix instead.
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
    # The header's `classifier` field: which classifier decided each request (the encoder, or
    # the fallback that answered in its place).
    deciders: dict[str, int] = field(default_factory=dict)
    # Latencies of the liveliness probe during the phase (empty when not probed).
    probe_ms: list[float] = field(default_factory=list)


def chat_body(model: str, content: str, stream: bool = False) -> dict[str, Any]:
    """A short chat completion request: one user message, at most 8 tokens back."""
    return {
        "model": model,
        "max_tokens": 8,
        "stream": stream,
        "messages": [{"role": "user", "content": content}],
    }


def request_body(index: int, model: str, prompts: Sequence[str] | None = None) -> bytes:
    """Request `index` of the run: the mix's prompts in turn, each made distinct by `index`."""
    mix = prompts or chat_mix()
    return json.dumps(chat_body(model, unique(mix[index % len(mix)], index))).encode()


def decider(header: str | None) -> str | None:
    """The `classifier` field of a routing header, or None (no header, or not JSON)."""
    if not header:
        return None
    try:
        found = json.loads(header).get("classifier")
    except (ValueError, AttributeError):
        return None
    return found if isinstance(found, str) else None


async def probe(session: aiohttp.ClientSession, url: str, headers: dict[str, str], into: list[float],
                stop: asyncio.Event, interval: float = PROBE_INTERVAL_S) -> None:
    """GET `url` one call at a time until `stop`, recording each call's latency in `into` (ms)."""
    while not stop.is_set():
        started = time.perf_counter()
        try:
            async with session.get(url, headers=headers) as resp:
                await resp.read()
            into.append((time.perf_counter() - started) * 1000.0)
        except (TimeoutError, aiohttp.ClientError):
            pass  # the load phase counts the proxy's failures; a lost probe is not a latency
        with contextlib.suppress(TimeoutError):  # the interval passed: probe again
            await asyncio.wait_for(stop.wait(), interval)


async def run_phase(
    base_url: str,
    api_key: str | None,
    model: str,
    requests: int,
    concurrency: int,
    deadline: float,
    timeout_s: float = 30.0,
    first: int = 0,
    probed: bool = False,
) -> PhaseResult:
    """Send `requests` chat completions, requests `first` to `first + requests - 1` of the run;
    past `deadline` the rest count as errors, unsent. `probed`: poll liveliness meanwhile."""
    result = PhaseResult(requests, concurrency)
    headers = {"content-type": "application/json"}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    url = base_url.rstrip("/") + "/v1/chat/completions"
    bodies = [request_body(first + i, model) for i in range(requests)]
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
                    url, data=bodies[index], headers=headers
                ) as resp:
                    await resp.read()
                    status = resp.status
                    if HEADER in resp.headers:
                        result.with_header += 1
                        name = decider(resp.headers[HEADER]) or "unnamed"
                        result.deciders[name] = result.deciders.get(name, 0) + 1
            except (TimeoutError, aiohttp.ClientError):
                status = 0
            result.latencies_ms.append((time.perf_counter() - started) * 1000.0)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status != 200:
                result.errors += 1

    stop = asyncio.Event()
    async with (
        aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
        # Its own connection, so the probe never waits for one of the load's.
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1), timeout=timeout) as probing,
    ):
        poller = asyncio.create_task(
            probe(probing, base_url.rstrip("/") + LIVELINESS, headers, result.probe_ms, stop)
        ) if probed else None
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        result.wall_s = time.perf_counter() - started
        stop.set()
        if poller is not None:
            await poller
    return result


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100]); 0.0 for no values (a phase that sent nothing)."""
    return nearest_rank(values, q) if values else 0.0
