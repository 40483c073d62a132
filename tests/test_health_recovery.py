"""Recovery: per-model probe schedule, probation, and ending LiteLLM's cooldown on recovery.

Fake clock and `httpx.MockTransport` for the monitor; LiteLLM's real CooldownCache (in memory,
and on the local Redis when it runs) for the cooldown hand-off.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from plugins.config import ConfigError, HealthSettings, parse_config
from plugins.health.monitor import HealthMonitor
from plugins.health.schedule import probe_delay
from plugins.health.state import HealthState, ModelHealth
from router_hooks.health_gate import HealthGate
from router_hooks.router_view import DeploymentIndex
from tests.support.clock import FakeClock
from tests.support.fake_router import MODELS, FakeRouter
from tests.support.redis_db import empty_redis

SHIPPED = HealthSettings()



def run(coro: Any) -> Any:
    return asyncio.run(coro)


def make_state() -> HealthState:
    return HealthState(MODELS, unhealthy_after=2, healthy_after=2, clock=FakeClock())


# -- schedule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("health", "probation", "delay"),
    [
        (ModelHealth(), False, 30.0),  # steady
        (ModelHealth(consecutive_failures=1), False, 1.0),  # suspect: re-check at once
        (ModelHealth(status="unhealthy", consecutive_failures=2), False, 2.0),
        (ModelHealth(status="unhealthy", consecutive_failures=3), False, 3.0),  # capped (not 4)
        (ModelHealth(status="unhealthy", consecutive_failures=40), False, 3.0),
        (ModelHealth(status="unhealthy", consecutive_successes=1), False, 1.0),  # confirming
        (ModelHealth(consecutive_successes=5), True, 3.0),  # on probation
        (None, False, 30.0),  # untracked (the virtual model)
    ],
)
def test_probe_delay(health: ModelHealth | None, probation: bool, delay: float) -> None:
    assert probe_delay(health, probation, SHIPPED) == delay


def test_probe_delay_never_exceeds_a_short_interval() -> None:
    settings = HealthSettings(interval_seconds=0.5)
    assert probe_delay(ModelHealth(status="unhealthy", consecutive_failures=9), False, settings) == 0.5


def test_back_off_must_not_be_shorter_than_the_recovery_pace() -> None:
    document = {"model_list": [], "agent_router": {
        "default_model": "llama", "intents": {"general": {"model": "llama"}},
        "health": {"recovery_interval_seconds": 5, "recovery_max_interval_seconds": 2}}}
    with pytest.raises(ConfigError, match="recovery_max_interval_seconds"):
        parse_config(document)


# -- probation ---------------------------------------------------------------------------------


def recovered_state(clock: FakeClock, changes: list[tuple[str, bool]]) -> HealthState:
    state = HealthState(MODELS, unhealthy_after=2, healthy_after=2, clock=clock,
                        on_change=lambda m, h: changes.append((m, h)), probation_seconds=30.0)
    for _ in range(2):
        state.record_failure("qwen-coder", "connection")
    for _ in range(2):
        state.record_success("qwen-coder", 1.0)
    changes.clear()
    return state


def test_the_first_failure_on_probation_marks_unhealthy_at_once() -> None:
    clock, changes = FakeClock(), list[tuple[str, bool]]()
    state = recovered_state(clock, changes)
    assert state.is_healthy("qwen-coder") and state.on_probation("qwen-coder")
    assert state.snapshot()["qwen-coder"].as_json()["probation_until"] is not None
    clock.now += 5
    state.record_failure("qwen-coder", "http_5xx", source="request")
    assert changes == [("qwen-coder", False)]
    assert not state.on_probation("qwen-coder")


def test_after_probation_sporadic_failures_are_tolerated_again() -> None:
    clock, changes = FakeClock(), list[tuple[str, bool]]()
    state = recovered_state(clock, changes)
    clock.now += 31
    assert not state.on_probation("qwen-coder")
    state.record_failure("qwen-coder", "http_5xx")
    assert state.is_healthy("qwen-coder") and changes == []


def test_models_that_never_failed_are_not_on_probation() -> None:
    state = make_state()
    state.record_failure("llama", "timeout")
    assert state.is_healthy("llama") and not state.on_probation("llama")


# -- monitor: a restarted backend --------------------------------------------------------------


class Backend:
    """A backend that refuses connections during the `dead` spans (fake clock), else answers 200."""

    def __init__(self, clock: FakeClock, *dead: tuple[float, float]) -> None:
        self.clock, self.dead = clock, dead
        self.probes: list[float] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.probes.append(self.clock.now)
        if any(start <= self.clock.now < end for start, end in self.dead):
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200)


def drive(backend: Backend, clock: FakeClock, until: float, state: HealthState | None = None,
          ) -> tuple[HealthState, list[tuple[float, bool]], list[float]]:
    """Run the monitor with the shipped settings until `until`: the state, its transitions
    (time, healthy) and the times `on_recovered` was called."""
    changes: list[tuple[float, bool]] = []
    recovered: list[float] = []
    state = state or HealthState(
        ["qwen-coder"], SHIPPED.unhealthy_after, SHIPPED.healthy_after, clock=clock,
        on_change=lambda m, h: changes.append((clock.now, h)), probation_seconds=SHIPPED.probation_seconds)

    async def fake_sleep(seconds: float) -> None:
        clock.now += seconds
        if clock.now >= until:
            raise asyncio.CancelledError

    async def on_recovered(models: Sequence[str]) -> None:
        recovered.append(clock.now)

    monitor = HealthMonitor(state, SHIPPED, lambda: {"qwen-coder": ["http://q/health"]},
                            transport=httpx.MockTransport(backend.handler), clock=clock, sleep=fake_sleep,
                            on_recovered=on_recovered)
    with pytest.raises(asyncio.CancelledError):
        run(monitor.run())
    return state, changes[1:], recovered  # changes[0] is the initial "healthy"


@pytest.mark.parametrize("ready_at", [60.0, 61.3, 75.5, 200.0, 2000.0])
def test_a_restarted_model_is_healthy_again_within_the_bound(ready_at: float) -> None:
    clock = FakeClock(0.0)
    backend = Backend(clock, (10.0, ready_at))
    state, changes, recovered = drive(backend, clock, until=ready_at + 120)
    went_down, came_back = changes[0][0], changes[1][0]
    # Dead at 10 s, seen at the next steady probe (30 s), confirmed by the quick re-check.
    assert changes[0][1] is False and 30.0 <= went_down <= 31.0
    bound = SHIPPED.recovery_max_interval_seconds + SHIPPED.recovery_interval_seconds
    assert changes[1][1] is True and came_back - ready_at <= bound
    assert recovered == [came_back]
    assert len(changes) == 2 and state.is_healthy("qwen-coder")
    # While dead, the probes backed off but never waited longer than the cap.
    dead = [t for t in backend.probes if went_down <= t < ready_at]
    gaps = [b - a for a, b in itertools.pairwise(dead)]
    assert max(gaps, default=0.0) <= SHIPPED.recovery_max_interval_seconds + 1e-9
    # Healthy again and off probation: back to the steady pace.
    steady = [t for t in backend.probes if t > came_back + SHIPPED.probation_seconds]
    assert len(steady) >= 2
    assert all(b - a == pytest.approx(30.0) for a, b in itertools.pairwise(steady))


def test_a_model_that_relapses_on_probation_is_unhealthy_on_the_first_failed_probe() -> None:
    clock = FakeClock(0.0)
    # Dead 10-60 s, back (healthy by ~62 s), dead again from 63 s.
    backend = Backend(clock, (10.0, 60.0), (63.0, 1000.0))
    _, changes, _ = drive(backend, clock, until=80.0)
    assert [h for _, h in changes] == [False, True, False]
    came_back, relapsed = changes[1][0], changes[2][0]
    assert came_back <= 62.0
    # Probed within the back-off cap while on probation, and one failed probe was enough.
    assert relapsed - 63.0 <= SHIPPED.recovery_max_interval_seconds
    assert next(t for t in backend.probes if t >= 63.0) == relapsed


def test_a_request_failure_between_probes_gets_the_model_re_checked_quickly() -> None:
    clock = FakeClock(0.0)
    backend = Backend(clock, (5.0, 10_000.0))
    state = HealthState(["qwen-coder"], 2, 2, clock=clock)
    injected: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        clock.now += seconds
        if clock.now >= 5.0 and not injected:  # a real request fails between steady probes
            injected.append(clock.now)
            state.record_failure("qwen-coder", "connection", source="request")
        if clock.now >= 12.0:
            raise asyncio.CancelledError

    monitor = HealthMonitor(state, SHIPPED, lambda: {"qwen-coder": ["http://q/health"]},
                            transport=httpx.MockTransport(backend.handler), clock=clock, sleep=fake_sleep)
    with pytest.raises(asyncio.CancelledError):
        run(monitor.run())
    # Probed at 0, then within a recovery interval of the request failure, not at 30 s.
    assert backend.probes[0] == 0.0
    assert backend.probes[1] - injected[0] <= SHIPPED.recovery_interval_seconds
    assert not state.is_healthy("qwen-coder")


# -- LiteLLM's cooldown ends when the monitor sees a recovery ----------------------------------


def litellm_cooldowns(redis: Any = None) -> Any:
    """LiteLLM's own cooldown store: without Redis the one a real Router builds (its constructor
    differs per version, 1.110 made it native); with Redis 1.108/1.109's DualCache-backed one."""
    if redis is None:
        from litellm.router import Router

        from router_hooks.compat import CachedCooldowns, router_view

        store = getattr(router_view(Router(model_list=[], cooldown_time=30.0)), "cooldown_cache", None)
        return store.store if isinstance(store, CachedCooldowns) else store
    from litellm.caching.dual_cache import DualCache
    from litellm.router_utils.cooldown_cache import CooldownCache

    return CooldownCache(DualCache(redis_cache=redis), default_cooldown_time=30.0)


def gate_over(cooldowns: Any) -> HealthGate:
    router = FakeRouter()
    router.cooldown_cache = cooldowns
    state = make_state()
    return HealthGate(state, SHIPPED, DeploymentIndex(lambda: router))


def test_end_cooldowns_clears_litellms_own_cooldown_cache_for_the_recovered_group_only() -> None:
    cooldowns = litellm_cooldowns()
    for model_id in ("id-qwen-coder", "id-llama"):
        cooldowns.add_deployment_to_cooldown(model_id, RuntimeError("down"), 500, None)
    gate = gate_over(cooldowns)

    async def scenario() -> tuple[dict[str, float], dict[str, float]]:
        before = await gate.cooldowns(MODELS)
        await gate.end_cooldowns(["qwen-coder"])
        return before, await gate.cooldowns(MODELS)

    before, after = run(scenario())
    assert set(before) == {"qwen-coder", "llama"}
    assert set(after) == {"llama"}


@pytest.mark.process  # talks to the local Redis
def test_end_cooldowns_deletes_the_entry_from_redis_for_every_replica() -> None:
    from litellm.caching.redis_cache import RedisCache
    from litellm.router_utils.cooldown_cache import CooldownCache

    if not hasattr(CooldownCache, "get_cooldown_cache_key"):
        pytest.skip("LiteLLM 1.110's native cooldown store has no delete: a Redis copy runs out at its "
                    "own end (router_hooks/compat.py end_cooldown)")

    with empty_redis(9) as probe:
        writer = litellm_cooldowns(RedisCache(host="127.0.0.1", port=6379, db=9))
        writer.add_deployment_to_cooldown("id-qwen-coder", RuntimeError("down"), 500, None)
        assert probe.exists("deployment:id-qwen-coder:cooldown")
        # The replica that saw the recovery ends it; another replica's fresh read finds none.
        run(gate_over(writer).end_cooldowns(["qwen-coder"]))
        assert not probe.exists("deployment:id-qwen-coder:cooldown")
        reader = litellm_cooldowns(RedisCache(host="127.0.0.1", port=6379, db=9))
        assert run(gate_over(reader).cooldowns(MODELS)) == {}


def test_no_cooldown_cache_is_a_no_op() -> None:
    gate = gate_over(None)
    run(gate.end_cooldowns(["qwen-coder"]))
