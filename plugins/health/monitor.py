"""The background health monitor: probes every deployment's `GET /health` on an interval.

A probe is one cheap HTTP GET with a short timeout, never a generation (LiteLLM's own background
health checks send real completions). A model group passes a round when any of its deployments
answers 2xx. The targets are read each round, so deployments added at runtime are picked up and
a monitor started before LiteLLM's router exists simply waits. HTTP transport, clock and sleep
are injected: tests drive it with `httpx.MockTransport` and a fake clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

import httpx

from plugins.config import HealthSettings
from plugins.errors import ErrorType, status_error
from plugins.health.state import HealthState

logger = logging.getLogger(__name__)

# model group -> the health URLs of its deployments
Targets = Callable[[], Mapping[str, Sequence[str]]]
# One URL's probe: (None, latency in ms) when it answered 2xx, else (the failure kind, latency or None).
Outcome = tuple[ErrorType | None, float | None]
# Receives every URL's outcome after each round (e.g. to publish them to LiteLLM's router).
OnRound = Callable[[Mapping[str, Outcome]], Awaitable[None]]


def health_url(api_base: str, path: str = "/health") -> str:
    """`http://h:8080/v1` -> `http://h:8080/health`: OpenAI-style servers serve it at the root."""
    base = api_base.rstrip("/")
    if base.endswith("/v1"):
        base = base[: -len("/v1")]
    return base + path


class HealthMonitor:
    def __init__(
        self,
        state: HealthState,
        settings: HealthSettings,
        targets: Targets,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_round: OnRound | None = None,
    ) -> None:
        self.state = state
        self.settings = settings
        self._targets = targets
        self._transport = transport
        self._clock = clock
        self._sleep = sleep
        self._on_round = on_round
        self._client: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0

    async def probe_once(self) -> None:
        """One round: every distinct URL probed once, concurrently; results fed to the state."""
        targets = self._targets()
        tracked = {m: list(urls) for m, urls in targets.items() if m in self.state.models}
        # Untracked groups (the virtual model) are probed only for `on_round`; a URL shared by
        # several groups is probed once.
        wanted = targets if self._on_round is not None else tracked
        urls = list(dict.fromkeys(url for group in wanted.values() for url in group))
        if not urls:
            return
        client = self._http()
        outcomes = dict(zip(urls, await asyncio.gather(*(self._probe_url(client, u) for u in urls)),
                            strict=True))
        for model, model_urls in tracked.items():
            error, latency_ms = best_of([outcomes[url] for url in model_urls])
            if error is None:
                self.state.record_success(model, latency_ms)
            else:
                self.state.record_failure(model, error, latency_ms)
        if self._on_round is not None:
            await self._on_round(outcomes)
        self.rounds += 1

    async def run(self, max_rounds: int | None = None) -> None:
        """Probe every `interval_seconds` until cancelled (or `max_rounds`, for tests)."""
        try:
            while max_rounds is None or self.rounds < max_rounds:
                started = self._clock()
                try:
                    await self.probe_once()
                except Exception:  # a monitor bug must not end monitoring for the process
                    logger.exception("agent-router: health probe round failed")
                    self.rounds += 1
                elapsed = self._clock() - started
                await self._sleep(max(0.0, self.settings.interval_seconds - elapsed))
        finally:
            await self._close()
            logger.info("agent-router: health monitor stopped")

    def start(self) -> asyncio.Task[None]:
        """Run on the current event loop (the proxy's); idempotent: one monitor per process."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self.run(), name="agent-router-health-monitor"
            )
            logger.info(
                "agent-router: health monitor started (every %.1fs, timeout %.1fs)",
                self.settings.interval_seconds, self.settings.timeout_seconds,
            )
        return self._task

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._close()

    # -- internals ---------------------------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self._transport, timeout=self.settings.timeout_seconds,
                follow_redirects=False,
            )
        return self._client

    async def _close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def _probe_url(self, client: httpx.AsyncClient, url: str) -> Outcome:
        started = self._clock()
        try:
            response = await client.get(url)
        except httpx.TimeoutException:
            return "timeout", None
        except httpx.TransportError:
            return "connection", None
        latency_ms = round((self._clock() - started) * 1000.0, 3)
        if response.is_success:
            return None, latency_ms
        # A redirect or 1xx is not a healthy answer either.
        return status_error(response.status_code) or "other", latency_ms


def best_of(outcomes: Sequence[Outcome]) -> Outcome:
    """A model group passes when any deployment does (fastest latency); else the first failure."""
    latencies = [ms for error, ms in outcomes if error is None and ms is not None]
    if latencies:
        return None, min(latencies)
    return (outcomes[0][0] or "other", None) if outcomes else ("other", None)
