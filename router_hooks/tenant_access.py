"""The caller's routed models, decided with LiteLLM's own model-access helpers, and the auth object
LiteLLM's fallback re-check reads for this request.

`can_key_call_model` and `can_team_access_model` (proxy/auth/auth_checks.py, 1.108.7) answer
whether the key and the team, each on its own, authorize one model: empty lists,
`all-proxy-models`, `all-team-models`, access groups, wildcards and aliases are all LiteLLM's
rules. `plugins.access` combines the answers (a list naming no target allows every target).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from litellm.proxy._types import LiteLLM_TeamTableCachedObj, ProxyException, UserAPIKeyAuth
from litellm.proxy.auth.auth_checks import (
    can_key_call_model,
    can_team_access_model,
    key_model_aliases_for_auth_check,
)

from plugins.access import allowed_by_all
from router_hooks.compat import EntryPointView

logger = logging.getLogger(__name__)

# Where LiteLLM keeps the request's auth object (proxy/litellm_pre_call_utils.py, 1.108.7); its
# router reads it back for the fallback re-check (router_utils/common_utils.py).
AUTH_KEY = "user_api_key_auth"
# Cached answers per distinct (key models, team, aliases): a handful per deployment.
CACHE_SIZE = 1024


class TenantAccess:
    def __init__(self, targets: Sequence[str], router: Callable[[], Any]) -> None:
        self.targets = tuple(targets)
        self._router = router
        self._cache: dict[tuple[Any, ...], frozenset[str]] = {}

    async def allowed(self, token: Any) -> frozenset[str] | None:
        """The targets `token` may be routed to; None when nothing restricts it (no auth object,
        or neither key nor team carries a model list)."""
        if not isinstance(token, UserAPIKeyAuth) or not (token.models or token.team_models):
            return None
        view = self._router()
        router = view.router if isinstance(view, EntryPointView) else view  # LiteLLM's own Router
        cache_key = (tuple(token.models), tuple(token.team_models), token.team_id,
                     tuple(token.access_group_ids or ()), repr(token.aliases), repr(token.team_model_aliases),
                     id(router), len(getattr(view, "model_list", None) or ()))
        known = self._cache.get(cache_key)
        if known is not None:
            return known
        key_says = {t: await _authorizes_key(t, token, router) for t in self.targets}
        objects: list[Callable[[str], bool]] = [key_says.__getitem__]
        if token.team_id is not None:
            team_says = {t: await _authorizes_team(t, token, router) for t in self.targets}
            objects.append(team_says.__getitem__)
        allowed = allowed_by_all(self.targets, objects)
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[cache_key] = allowed
        return allowed


def granted(token: Any, allowed: frozenset[str]) -> Any:
    """A copy of the request's auth object whose key (and team) lists also name the targets the
    caller may be routed to, for LiteLLM's per-fallback re-check of this one request
    (proxy/auth/fallback_model_access.py). Without it, a key holding only `agent-router` loses
    every fallback; with it, fallbacks outside `allowed` stay refused. Auth itself already ran on
    the original object: a client naming a target directly is still refused."""
    if not isinstance(token, UserAPIKeyAuth):
        return token
    update: dict[str, Any] = {}
    if token.models:
        update["models"] = [*token.models, *sorted(allowed - set(token.models))]
    if token.team_models:
        update["team_models"] = [*token.team_models, *sorted(allowed - set(token.team_models))]
    return token.model_copy(update=update) if update else token


async def _authorizes_key(model: str, token: UserAPIKeyAuth, router: Any) -> bool:
    try:
        await can_key_call_model(model=model, llm_model_list=None, valid_token=token, llm_router=router)
    except ProxyException:
        return False
    return True


async def _authorizes_team(model: str, token: UserAPIKeyAuth, router: Any) -> bool:
    # Built from the auth object as LiteLLM's own re-check does when no database answers
    # (can_key_call_resolved_model); with a database LiteLLM fills these fields from the team row.
    team = LiteLLM_TeamTableCachedObj(team_id=str(token.team_id), models=token.team_models,
                                      blocked=token.team_blocked, metadata=token.team_metadata)
    try:
        await can_team_access_model(model=model, team_object=team, llm_router=router,
                                    team_model_aliases=token.team_model_aliases,
                                    key_model_aliases=key_model_aliases_for_auth_check(token))
    except ProxyException:
        return False
    return True
