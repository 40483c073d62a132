"""The soak's load: `concurrency` workers sending until a deadline, every answer recorded.

Surfaces and prompts rotate by request number, so each surface sees every intent. A request
counts as good when it answers 200 with a complete body (for streams: up to `[DONE]`, no error
event); anything else, a transport error or a timeout included, is a client-visible error.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from plugins.record import HEADER
from scripts.bench.load import PROMPTS
from scripts.soak.surfaces import Surface, good_stream


@dataclass(frozen=True)
class Outcome:
    surface: str
    #: When it was sent, in seconds from the start of the load.
    sent: float
    latency: float
    #: The HTTP status, or 0 when none came back (connection error, timeout).
    status: int
    ok: bool
    routed: bool
    error: str | None = None
    #: The model group that served (x-routing-metadata's model_id), when routed.
    model: str | None = None


async def send(session: aiohttp.ClientSession, surface: Surface, prompt: str, t0: float,
               timeout: float) -> Outcome:
    started = time.monotonic()
    try:
        async with session.post(surface.path, json=surface.body(prompt),
                                timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
            body = await resp.read()
            routed = HEADER in resp.headers
            ok = resp.status == 200 and (good_stream(body) if surface.stream else bool(body))
            error = None if ok else f"{resp.status} {body[:200].decode('utf-8', 'replace')}"
            return Outcome(surface.name, started - t0, time.monotonic() - started, resp.status, ok,
                           routed, error, served_model(resp.headers.get(HEADER)))
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Outcome(surface.name, started - t0, time.monotonic() - started, 0, False, False,
                       f"{type(exc).__name__}: {exc}"[:200])


def served_model(header: str | None) -> str | None:
    try:
        model = json.loads(header)["model_id"] if header else None
    except (ValueError, KeyError, TypeError):
        return None
    return model if isinstance(model, str) else None


def session_for(base_url: str, key: str, concurrency: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        base_url=base_url, headers={"Authorization": f"Bearer {key}"},
        connector=aiohttp.TCPConnector(limit=concurrency),
    )


async def run_load(base_url: str, key: str, surfaces: Sequence[Surface], concurrency: int,
                   seconds: float, timeout: float = 30.0) -> list[Outcome]:
    """Send until `seconds` have passed (requests in flight then are awaited, not cut)."""
    outcomes: list[Outcome] = []
    counter = 0
    t0 = time.monotonic()
    deadline = t0 + seconds

    async with session_for(base_url, key, concurrency) as session:
        async def worker() -> None:
            nonlocal counter
            while time.monotonic() < deadline:
                i, counter = counter, counter + 1
                surface = surfaces[i % len(surfaces)]
                prompt = PROMPTS[(i // len(surfaces)) % len(PROMPTS)]
                outcomes.append(await send(session, surface, prompt, t0, timeout))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcomes
