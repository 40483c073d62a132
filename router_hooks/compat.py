"""Where LiteLLM keeps the Router data the bundle reads, in each supported version.

LiteLLM 1.109.0 made `Router` a facade over entry points (`registry()`, `settings()`, `health()`,
litellm/router_api.py) and kept the 1.108 attributes only in `litellm/router_deprecated.py`, where
every read emits a DeprecationWarning and costs ~5 µs; that file says they go away about a month
after 1.110's core swap. `router_view(router)` gives the rest of the bundle the 1.108 attribute names
either way: the Router itself on 1.108, an `EntryPointView` over the entry points from 1.109 on.
Nothing else in the bundle touches a Router.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from importlib import metadata
from typing import Any

from router_hooks.router_view import RouterView

logger = logging.getLogger(__name__)

# The LiteLLM versions `make compat` and the contract test run against (issue 13); pyproject's
# dependency range is the same. Outside it the bundle still starts, with one warning.
TESTED_LOW = (1, 108, 7)
TESTED_HIGH = (1, 111)  # exclusive
TESTED_RANGE = ">=1.108.7,<1.111"


class EntryPointView:
    """A 1.109+ Router read through its entry points, under the 1.108 attribute names.

    The bound entry points are looked up once: each lookup through the facade's `__getattribute__`
    costs ~1 µs, and a Router keeps its core for life. The entry points' results are not cached:
    `settings()` is replaced when the router applies a change, `registry()` moves with deployments.
    """

    __slots__ = ("_health", "_registry", "_settings", "router")

    def __init__(self, router: Any) -> None:
        self.router = router
        self._registry: Callable[[], Any] = router.registry
        self._settings: Callable[[], Any] = router.settings
        self._health: Callable[[], Any] = router.health

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
        return self._health().cooldowns

    @property
    def health_state_cache(self) -> Any:
        return self._health().health_checks

    def get_deployment(self, model_id: str) -> Any:
        return self._registry().deployment(model_id)


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
