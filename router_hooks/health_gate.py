"""Health-aware routing inside the proxy: our monitor's state joined with LiteLLM's cooldowns.

A model group is *available* when the monitor sees it healthy and LiteLLM has not cooled down
every one of its deployments. Cooldowns live in LiteLLM's cooldown store (`cooldown_cache`; from
1.109 on `health().cooldowns`, read through router_hooks.compat), which LiteLLM keeps in Redis when
`router_settings` has Redis options: what one replica learns from real failures is seen by every
other replica, without a second sharing mechanism of ours. The fallback chains are LiteLLM's own
(`fallbacks`), read per request.

With `router_settings.enable_health_check_routing: true` the probe results are also written, per
deployment, into LiteLLM's `health_state_cache`, the state its router uses to skip unhealthy
deployments *within* a group: our cheap probe replaces the real completions that LiteLLM's own
background health checks would send.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from plugins.config import HealthSettings
from plugins.errors import BACKEND_ERRORS, ErrorType
from plugins.health.monitor import Outcome, health_url
from plugins.health.state import HealthState
from plugins.routing import fallback_chains, first_available
from router_hooks.compat import end_cooldown
from router_hooks.router_view import DeploymentIndex

logger = logging.getLogger(__name__)


class HealthGate:
    def __init__(
        self,
        state: HealthState,
        settings: HealthSettings,
        index: DeploymentIndex,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.state = state
        self.settings = settings
        self.index = index
        self._wall_clock = wall_clock

    # -- LiteLLM's view --------------------------------------------------------------------

    def chains(self) -> dict[str, tuple[str, ...]]:
        router = self.index.router()
        return fallback_chains(router.fallbacks if router is not None else None)

    def targets(self) -> dict[str, list[str]]:
        """model group -> health URLs of its deployments that have an `api_base` to probe."""
        targets: dict[str, list[str]] = {}
        for group, api_base, _ in self.index.deployments():
            if group is not None and api_base:
                url = health_url(api_base, self.settings.path)
                if url not in targets.setdefault(group, []):
                    targets[group].append(url)
        return targets

    async def cooldowns(self, models: Iterable[str]) -> dict[str, float]:
        """Groups whose every deployment is cooling down -> seconds left (longest)."""
        router = self.index.router()
        cache = router.cooldown_cache if router is not None else None
        if cache is None:
            return {}
        all_groups = self.index.ids_by_group()
        ids_by_group = {g: all_groups[g] for g in dict.fromkeys(models) if g in all_groups}
        all_ids = [i for ids in ids_by_group.values() for i in ids]
        if not all_ids:
            return {}
        active = dict(await cache.async_get_active_cooldowns(all_ids, parent_otel_span=None))
        now = self._wall_clock()
        cooled: dict[str, float] = {}
        for group, ids in ids_by_group.items():
            if ids and all(i in active for i in ids):
                cooled[group] = max(_remaining(active[i], now) for i in ids)
        return cooled

    async def end_cooldowns(self, models: Sequence[str]) -> None:
        """The monitor saw `models` recover: end LiteLLM's cooldown of their deployments now.

        Without this, a model restarted within `router_settings.cooldown_time` (30 s) of its last
        failure would wait that long for traffic although it answers again. Only recoveries call
        it, never a steady healthy probe: a backend whose `/health` answers while its completions
        fail keeps the cooldowns LiteLLM gives it. With Redis the entry is deleted there too, so
        every replica stops skipping the model once its in-memory copy is re-read (LiteLLM 1.108.7
        keeps such a copy for at most the entry's remaining time, cooldown_cache.py); replicas
        whose own monitors see the recovery delete their copies at once. LiteLLM's allowed-fails
        counter is left alone, so a model failing again right away is cooled down again at once.
        """
        router = self.index.router()
        cache = router.cooldown_cache if router is not None else None
        if cache is None:
            return
        groups = self.index.ids_by_group()
        ids = [i for model in models for i in groups.get(model, ())]
        for model_id in ids:
            await end_cooldown(cache, model_id)  # per LiteLLM version: router_hooks.compat
        if ids:
            logger.info("agent-router: %s recovered; ended LiteLLM's cooldown of %d deployment(s)",
                        ", ".join(models), len(ids))

    async def publish(self, outcomes: Mapping[str, Outcome]) -> None:
        """Probe results -> LiteLLM's per-deployment health state, when the router uses it."""
        router = self.index.router()
        cache = router.health_state_cache if router is not None else None
        if cache is None or router is None or router.enable_health_check_routing is not True:
            return
        now = self._wall_clock()
        states: dict[str, dict[str, Any]] = {}
        for _, api_base, model_id in self.index.deployments():
            if api_base is None or model_id is None:
                continue
            outcome = outcomes.get(health_url(api_base, self.settings.path))
            if outcome is not None:
                error = outcome[0]
                states[model_id] = {"is_healthy": error is None, "timestamp": now,
                                    "reason": error or ""}
        if states:
            # LiteLLM 1.108.7's setter is synchronous (and reads/writes Redis when configured).
            await asyncio.to_thread(cache.set_deployment_health_states, states)

    # -- what the hook asks ----------------------------------------------------------------

    async def reroute(self, model: str, fits: Callable[[str], bool] | None = None,
                      chain: tuple[str, ...] | None = None) -> str:
        """The model that should serve a request routed to `model`, right now.

        `fits` excludes fallbacks the request cannot go to (its prompt exceeds their window, the
        caller may not use them); `chain` is the caller's own fallback chain (None: the YAML's).
        """
        if self.state.is_healthy(model) and not await self.cooldowns([model]):
            return model  # the common case: one in-memory cooldown read
        walk = self.chains().get(model, ()) if chain is None else chain
        chain = tuple(m for m in walk if fits is None or fits(m))
        cooled = await self.cooldowns([model, *chain])
        target = first_available(
            model, chain, lambda m: self.state.is_healthy(m) and m not in cooled
        )
        if target != model:
            logger.debug("agent-router: %s unavailable, routed to %s", model, target)
        return target

    def observe(self, model: str, error: ErrorType | None) -> None:
        """A real call's outcome: backend failures and successes feed the monitor's state.

        With `health.enabled: false` nothing is recorded: the state stays "healthy" for every
        model, so only LiteLLM's own cooldowns can send a request past its chosen model.
        """
        if not self.settings.enabled:
            return
        if error is None:
            self.state.record_success(model, source="request")
        elif error in BACKEND_ERRORS:
            self.state.record_failure(model, error, source="request")

    def outage_message(self, primary: str) -> str | None:
        """A clear error when the primary and every fallback are unhealthy, else None."""
        models = [primary, *self.chains().get(primary, ())]
        tracked = [m for m in models if m in self.state.models]
        if not tracked or any(self.state.is_healthy(m) for m in tracked):
            return None
        return (
            "agent-router: no healthy model can serve this request: "
            f"{', '.join(tracked)} are all unhealthy according to the health monitor; "
            "the request was attempted anyway and failed"
        )


def _remaining(value: Any, now: float) -> float:
    try:
        return max(0.0, float(value["timestamp"]) + float(value["cooldown_time"]) - now)
    except (KeyError, TypeError, ValueError):
        return 0.0
