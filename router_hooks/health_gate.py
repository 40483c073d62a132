"""Health-aware routing inside the proxy: our monitor's state joined with LiteLLM's cooldowns.

A model group is *available* when the monitor sees it healthy and LiteLLM has not cooled down
every one of its deployments. Cooldowns live in `llm_router.cooldown_cache`, which LiteLLM
(1.108.7) keeps in Redis when `router_settings` has Redis options: what one replica learns from
real failures is seen by every other replica, without a second sharing mechanism of ours.
The fallback chains are LiteLLM's own (`llm_router.fallbacks`), read per request.

With `router_settings.enable_health_check_routing: true` the probe results are also written, per
deployment, into LiteLLM's `health_state_cache`, the state its router uses to skip unhealthy
deployments *within* a group: our cheap probe replaces the real completions that LiteLLM's own
background health checks would send.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from plugins.config import HealthSettings
from plugins.errors import BACKEND_ERRORS, ErrorType
from plugins.health.monitor import Outcome, health_url
from plugins.health.state import HealthState
from plugins.routing import fallback_chains, first_available

logger = logging.getLogger(__name__)

RouterLookup = Callable[[], Any]
# (model group, api_base, model id) of one deployment, None where the model list lacks it.
Deployment = tuple[str | None, str | None, str | None]


class HealthGate:
    def __init__(
        self,
        state: HealthState,
        settings: HealthSettings,
        router: RouterLookup,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.state = state
        self.settings = settings
        self._router = router
        self._wall_clock = wall_clock
        # group -> deployment ids, rebuilt only when LiteLLM's model list changes (the request
        # path asks for it on every call; rebuilding it was a quarter of the bundle's CPU).
        self._ids_key: tuple[int, int] | None = None
        self._ids: dict[str, tuple[str, ...]] = {}

    # -- LiteLLM's view --------------------------------------------------------------------

    def chains(self) -> dict[str, tuple[str, ...]]:
        router = self._router()
        return fallback_chains(getattr(router, "fallbacks", None) if router is not None else None)

    def deployments(self) -> list[Deployment]:
        router = self._router()
        return _deployments(getattr(router, "model_list", None) if router is not None else None)

    def targets(self) -> dict[str, list[str]]:
        """model group -> health URLs of its deployments that have an `api_base` to probe."""
        targets: dict[str, list[str]] = {}
        for group, api_base, _ in self.deployments():
            if group is not None and api_base:
                url = health_url(api_base, self.settings.path)
                if url not in targets.setdefault(group, []):
                    targets[group].append(url)
        return targets

    async def cooldowns(self, models: Iterable[str]) -> dict[str, float]:
        """Groups whose every deployment is cooling down -> seconds left (longest)."""
        router = self._router()
        cache = getattr(router, "cooldown_cache", None) if router is not None else None
        if cache is None:
            return {}
        all_groups = self._ids_by_group(router)
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

    def _ids_by_group(self, router: Any) -> dict[str, tuple[str, ...]]:
        model_list = getattr(router, "model_list", None) or []
        key = (id(model_list), len(model_list))
        if key != self._ids_key:
            ids: dict[str, list[str]] = {}
            for group, _, model_id in _deployments(model_list):
                if group is not None and model_id is not None:
                    ids.setdefault(group, []).append(model_id)
            self._ids = {g: tuple(i) for g, i in ids.items()}
            self._ids_key = key
        return self._ids

    async def publish(self, outcomes: Mapping[str, Outcome]) -> None:
        """Probe results -> LiteLLM's per-deployment health state, when the router uses it."""
        router = self._router()
        cache = getattr(router, "health_state_cache", None) if router is not None else None
        if cache is None or getattr(router, "enable_health_check_routing", False) is not True:
            return
        now = self._wall_clock()
        states: dict[str, dict[str, Any]] = {}
        for _, api_base, model_id in self.deployments():
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

    async def reroute(self, model: str) -> str:
        """The model that should serve a request routed to `model`, right now."""
        if self.state.is_healthy(model) and not await self.cooldowns([model]):
            return model  # the common case: one in-memory cooldown read
        chain = self.chains().get(model, ())
        cooled = await self.cooldowns([model, *chain])
        target = first_available(
            model, chain, lambda m: self.state.is_healthy(m) and m not in cooled
        )
        if target != model:
            logger.debug("agent-router: %s unavailable, routed to %s", model, target)
        return target

    def observe(self, model: str, error: ErrorType | None) -> None:
        """A real call's outcome: backend failures and successes feed the monitor's state."""
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


def _deployments(model_list: Any) -> list[Deployment]:
    """(model group, api_base, model id) of each deployment in LiteLLM's model list; None where absent."""
    found: list[Deployment] = []
    for deployment in model_list or ():
        if not isinstance(deployment, Mapping):
            continue
        params = deployment.get("litellm_params") or {}
        info = deployment.get("model_info") or {}
        found.append((
            _string(deployment.get("model_name")),
            _string(params.get("api_base") if isinstance(params, Mapping) else None),
            _string(info.get("id") if isinstance(info, Mapping) else None),
        ))
    return found


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _remaining(value: Any, now: float) -> float:
    try:
        return max(0.0, float(value["timestamp"]) + float(value["cooldown_time"]) - now)
    except (KeyError, TypeError, ValueError):
        return 0.0
