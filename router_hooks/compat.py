"""Where LiteLLM keeps the Router data the bundle reads, in each supported version.

LiteLLM 1.109.0 made `Router` a facade over entry points (`registry()`, `settings()`, `health()`,
litellm/router_api.py) and kept the 1.108 attributes only in `litellm/router_deprecated.py`, where
every read emits a DeprecationWarning and costs ~5 µs; that file says they go away about a month
after 1.110's core swap. `router_view(router)` gives the rest of the bundle the 1.108 attribute names
either way: the Router itself on 1.108, an `EntryPointView` over the entry points from 1.109 on,
whose cooldown reads go through `CachedCooldowns`. Nothing else in the bundle touches a Router.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

from router_hooks.router_view import RouterView

logger = logging.getLogger(__name__)

# The LiteLLM versions `make compat` and the contract test run against (issue 13); pyproject's
# dependency range is the same. Outside it the bundle still starts, with one warning.
TESTED_LOW = (1, 108, 7)
TESTED_HIGH = (1, 111)  # exclusive
TESTED_RANGE = ">=1.108.7,<1.111"
# How long a cooldown read is reused on 1.109+ (see CachedCooldowns).
COOLDOWN_READ_TTL_SECONDS = 1.0


class CachedCooldowns:
    """LiteLLM's cooldown store with its reads reused for up to `ttl` seconds, per set of ids.

    LiteLLM 1.110's store is native (litellm/redis/stores/router_cooldowns, each read wrapped in two
    service-target contexts): inside a request a read costs ~60 µs against ~10 µs on 1.108.7, the
    whole difference in the bundle's cost between the two (scripts/bench/versions.py). The hook
    reads it on every request; reusing an answer is exact for cooldowns that end (an answer is
    never kept past the earliest end it lists) and at most `ttl` late for one that starts, which
    LiteLLM's own router already skips (the request then takes LiteLLM's fallback once).
    """

    MAX_ENTRIES = 64  # id sets: one per model group and per fallback chain asked about

    def __init__(self, store: Any, ttl: float = COOLDOWN_READ_TTL_SECONDS,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._ttl = ttl
        self._clock = clock
        self._wall_clock = wall_clock
        self._answers: dict[tuple[str, ...], tuple[float, list[tuple[str, Any]]]] = {}

    async def async_get_active_cooldowns(
        self, model_ids: Sequence[str], parent_otel_span: Any
    ) -> list[tuple[str, Any]]:
        key = tuple(model_ids)
        now = self._clock()
        held = self._answers.get(key)
        if held is not None and now < held[0]:
            return held[1]
        answer = list(await self.store.async_get_active_cooldowns(list(model_ids), parent_otel_span))
        if len(self._answers) >= self.MAX_ENTRIES:
            self._answers.clear()
        self._answers[key] = (now + min(self._ttl, self._until_first_end(answer)), answer)
        return answer

    def forget(self) -> None:
        """Drop every reused answer (a cooldown was just ended)."""
        self._answers.clear()

    def _until_first_end(self, answer: list[tuple[str, Any]]) -> float:
        wall = self._wall_clock()
        ends = []
        for _, value in answer:
            try:
                ends.append(float(value["timestamp"]) + float(value["cooldown_time"]) - wall)
            except (KeyError, TypeError, ValueError):
                return 0.0  # an entry we cannot date: do not reuse this answer
        return max(0.0, min(ends, default=self._ttl))


class EntryPointView:
    """A 1.109+ Router read through its entry points, under the 1.108 attribute names.

    The bound entry points are looked up once: each lookup through the facade's `__getattribute__`
    costs ~1 µs, and a Router keeps its core for life. The entry points' results are not cached:
    `settings()` is replaced when the router applies a change, `registry()` moves with deployments.
    """

    __slots__ = ("_cooldowns", "_health", "_registry", "_settings", "router")

    def __init__(self, router: Any) -> None:
        self.router = router
        self._registry: Callable[[], Any] = router.registry
        self._settings: Callable[[], Any] = router.settings
        self._health: Callable[[], Any] = router.health
        self._cooldowns: CachedCooldowns | None = None

    @property
    def model_list(self) -> Any:
        return self._registry().all()

    @property
    def model_group_alias(self) -> Any:
        return self._registry().aliases()

    @property
    def fallbacks(self) -> Any:
        return self._settings().fallbacks

    @property
    def enable_health_check_routing(self) -> Any:
        return self._settings().enable_health_check_routing

    @property
    def cooldown_cache(self) -> Any:
        """The store behind a read cache (CachedCooldowns); a store LiteLLM rebinds gets a new one."""
        store = self._health().cooldowns
        if store is None:
            return None
        if self._cooldowns is None or self._cooldowns.store is not store:
            self._cooldowns = CachedCooldowns(store)
        return self._cooldowns

    @property
    def health_state_cache(self) -> Any:
        return self._health().health_checks

    def get_deployment(self, model_id: str) -> Any:
        return self._registry().deployment(model_id)

    @property
    def cache(self) -> Any:
        """The router's DualCache (memory, plus its Redis when `router_settings` gives one): 1.110
        names it `health().store` and deprecates `Router.cache`; 1.109 has only `Router.cache`."""
        health = self._health()
        return health.store if hasattr(type(health), "store") else self.router.cache


async def end_cooldown(store: Any, model_id: str) -> None:
    """End LiteLLM's cooldown of one deployment now, wherever the running version keeps it.

    1.108 and 1.109 keep each entry under `get_cooldown_cache_key(id)` in a DualCache
    (`cooldown_store`: memory, and Redis when configured), deleted in both. 1.110's native store
    has no delete but `evict_local(id)` (memory): a copy in Redis runs out at its own end.
    """
    if isinstance(store, CachedCooldowns):
        store.forget()
        store = store.store
    key = getattr(store, "get_cooldown_cache_key", None)
    if callable(key):
        await store.cooldown_store.async_delete_cache(key(model_id))
    else:
        store.cooldown_store.evict_local(model_id)


def has_entry_points(router: Any) -> bool:
    """True for a 1.109+ Router (a 1.108 Router has no `registry` attribute at all)."""
    return callable(getattr(router, "registry", None))


# The last Router seen and its view: the proxy's `llm_router` is read on every request and changes
# only when the proxy rebuilds its router (a config reload), so one slot is enough.
_last: tuple[Any, RouterView | None] = (None, None)


def router_view(router: Any) -> RouterView | None:
    """`router` under the 1.108 attribute names, without touching deprecated members; None stays None."""
    global _last
    if router is None:
        return None
    if _last[0] is router:
        return _last[1]
    view: RouterView = EntryPointView(router) if has_entry_points(router) else router
    _last = (router, view)
    return view


def parse_version(text: str) -> tuple[int, ...]:
    """The numeric release part: "1.110.2" -> (1, 110, 2), "1.109.0rc1" -> (1, 109, 0)."""
    match = re.match(r"\d+(?:\.\d+)*", text.strip())
    return tuple(int(part) for part in match.group(0).split(".")) if match else ()


def is_tested(version: str) -> bool:
    release = parse_version(version)
    return bool(release) and TESTED_LOW <= release < TESTED_HIGH


def installed_version() -> str | None:
    try:
        return metadata.version("litellm")
    except metadata.PackageNotFoundError:
        return None


def warn_if_untested(version: str | None = None) -> bool:
    """Log one warning when the running LiteLLM is outside the tested range; True when it is inside."""
    found = installed_version() if version is None else version
    if found is not None and is_tested(found):
        return True
    logger.warning(
        "agent-router: LiteLLM %s is outside the tested range %s; the bundle runs, but the LiteLLM "
        "internals it uses (tests/test_litellm_contract.py) were not checked on this version",
        found or "(version unknown)", TESTED_RANGE,
    )
    return False


def warn_if_crash_prone_python(version: tuple[int, int] | None = None) -> bool:
    """Log one warning on CPython 3.11 or older; True on 3.12+.

    There the cyclic GC can run inside `ContextVar.set`, and LiteLLM resets context variables from
    coroutines the GC closes: the proxy can die of SIGSEGV under load (python/cpython#148891,
    docs/FLAKES.md; `python -m scripts.gc_context_check` checks an interpreter).
    """
    found = tuple(sys.version_info[:2]) if version is None else version
    if found >= (3, 12):
        return True
    logger.warning(
        "agent-router: Python %d.%d can crash the proxy under load (the GC inside ContextVar.set, "
        "python/cpython#148891); run LiteLLM on Python 3.12 or newer", *found,
    )
    return False
