"""The background health monitor: probes each model group's deployments on its own schedule.

A probe is one cheap HTTP `GET /health` with a short timeout, never a generation (LiteLLM's own
background health checks send real completions). A model group passes a round when any of its
deployments answers 2xx. Each group is probed when `probe_delay` (plugins/health/schedule.py) says
it is due: every `interval_seconds` while healthy, at the recovery pace while failing. The targets
are read each time, so deployments added at runtime are picked up and a monitor started before
LiteLLM's router exists simply waits. HTTP transport, clock and sleep are injected: tests drive it
with `httpx.MockTransport` and a fake clock.
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
from plugins.health.schedule import probe_delay
from plugins.health.state import HealthState

logger = logging.getLogger(__name__)

# model group -> the health URLs of its deployments
Targets = Callable[[], Mapping[str, Sequence[str]]]
# One URL's probe: (None, latency in ms) when it answered 2xx, else (the failure kind, latency or None).
Outcome = tuple[ErrorType | None, float | None]
# Receives every URL's outcome after each round (e.g. to publish them to LiteLLM's router).
OnRound = Callable[[Mapping[str, Outcome]], Awaitable[None]]
# Receives the groups a round turned healthy again (e.g. to end LiteLLM's cooldown for them).
OnRecovered = Callable[[Sequence[str]], Awaitable[None]]


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
        on_recovered: OnRecovered | None = None,
    ) -> None:
        self.state = state
        self.settings = settings
        self._targets = targets
        self._transport = transport
        self._clock = clock
        self._sleep = sleep
        self._on_round = on_round
        self._on_recovered = on_recovered
        # group -> when (monitor clock) it was last probed; a group not in it is due at once.
        self._probed_at: dict[str, float] = {}
        self._client: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0

    def _wanted(self) -> dict[str, list[str]]:
        """group -> URLs. Untracked groups (the virtual model) are probed only for `on_round`."""
        targets = self._targets()
        return {m: list(urls) for m, urls in targets.items()
                if self._on_round is not None or m in self.state.models}

    def _due_in(self, group: str, now: float) -> float:
        last = self._probed_at.get(group)
        if last is None:
            return 0.0
        delay = probe_delay(self.state.get(group), self.state.on_probation(group), self.settings)
        return last + delay - now

    async def probe_once(self, groups: Sequence[str] | None = None) -> None:
        """One round over `groups` (default: all): each distinct URL probed once, concurrently."""
        wanted = self._wanted()
        if groups is not None:
            wanted = {g: urls for g, urls in wanted.items() if g in groups}
        # A URL shared by several groups is probed once.
        urls = list(dict.fromkeys(url for group in wanted.values() for url in group))
        if not urls:
            return
        started = self._clock()
        client = self._http()
        outcomes = dict(zip(urls, await asyncio.gather(*(self._probe_url(client, u) for u in urls)),
                            strict=True))
        recovered: list[str] = []
        for model, model_urls in wanted.items():
            self._probed_at[model] = started
            if model not in self.state.models:
                continue
            was_healthy = self.state.is_healthy(model)
            error, latency_ms = best_of([outcomes[url] for url in model_urls])
            if error is None:
                self.state.record_success(model, latency_ms)
            else:
                self.state.record_failure(model, error, latency_ms)
            if not was_healthy and self.state.is_healthy(model):
                recovered.append(model)
        if self._on_round is not None:
            await self._on_round(outcomes)
        if recovered and self._on_recovered is not None:
            await self._on_recovered(recovered)
        self.rounds += 1

    async def probe_due(self) -> None:
        """Probe the groups whose turn it is (`probe_delay` after their last probe)."""
        now = self._clock()
        due = [g for g in self._wanted() if self._due_in(g, now) <= 0.0]
        if due:
            await self.probe_once(due)

    def next_wake(self) -> float:
        """Seconds until the next group is due; at most the recovery pace, because a real request
        failure can make a steady group due sooner than its last schedule said."""
        now = self._clock()
        cap = min(self.settings.interval_seconds, self.settings.recovery_interval_seconds)
        return max(0.0, min([cap, *(self._due_in(g, now) for g in self._probed_at)]))

    async def run(self, max_rounds: int | None = None) -> None:
        """Probe each group when it is due until cancelled (or `max_rounds`, for tests)."""
        try:
            while max_rounds is None or self.rounds < max_rounds:
                try:
                    await self.probe_due()
                except Exception:  # a monitor bug must not end monitoring for the process
                    logger.exception("agent-router: health probe round failed")
                    self.rounds += 1
                await self._sleep(self.next_wake())
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
                "agent-router: health monitor started (every %.1fs, failing models every "
                "%.1f-%.1fs, timeout %.1fs)", self.settings.interval_seconds,
                self.settings.recovery_interval_seconds, self.settings.recovery_max_interval_seconds,
                self.settings.timeout_seconds,
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
