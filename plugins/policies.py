"""Per-caller policy lookup: the key's and team's `agent_router` blocks resolved once per distinct
block, an invalid block replaced by the next one down (team, then the YAML) and reported once."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from plugins.budget import caller_share
from plugins.classify.continuity import DIGEST_SIZE, ContinuityCache
from plugins.config import RouterConfig
from plugins.prompt import Prompt
from plugins.tenant_policy import PolicyBlock, PolicyError, TenantPolicy, block_of, merge, parse_block

logger = logging.getLogger(__name__)

# Distinct (key block, team block) pairs kept; more are re-validated (and never warned twice).
CACHE_SIZE = 1024
# Characters of each text's head and tail that identify a task for the budget memory: a 1 MB prompt
# would otherwise cost milliseconds to hash on every request of a caller with a budget policy.
VIEW_CHARS = 1024
# How much of LiteLLM's hashed token a warning names: enough to find the key in the admin UI.
TOKEN_PREFIX = 12


class Policies:
    def __init__(self, config: RouterConfig, on_error: Callable[[str], None]) -> None:
        self.config = config
        self.default = TenantPolicy(config, config.budget)
        self._on_error = on_error
        self._cache: dict[tuple[str, str], tuple[TenantPolicy, tuple[str, ...]]] = {}
        self._warned: set[tuple[str, str, str]] = set()

    def resolve(self, key_id: str | None, key_metadata: Any, team_id: str | None,
                team_metadata: Any) -> TenantPolicy:
        """The caller's policy; `key_id` is LiteLLM's hashed token (only a prefix is ever logged)."""
        key_raw, team_raw = block_of(key_metadata), block_of(team_metadata)
        if key_raw is None and team_raw is None:
            return self.default
        cache_key = (repr(key_raw), repr(team_raw))
        known = self._cache.get(cache_key)
        if known is None:
            known = self._build(key_id, key_raw, team_id, team_raw, cache_key)
        policy, errors = known
        for scope in errors:
            self._on_error(scope)
        return policy

    def _build(self, key_id: str | None, key_raw: Any, team_id: str | None, team_raw: Any,
               cache_key: tuple[str, str]) -> tuple[TenantPolicy, tuple[str, ...]]:
        blocks: dict[str, PolicyBlock] = {}
        errors: list[str] = []
        for scope, raw, text in (("key", key_raw, cache_key[0]), ("team", team_raw, cache_key[1])):
            if raw is None:
                continue
            try:
                blocks[scope] = parse_block(raw, self.config)
            except PolicyError as exc:
                errors.append(scope)
                who = f"key {(key_id or '?')[:TOKEN_PREFIX]}" if scope == "key" else f"team {team_id}"
                if (scope, who, text) not in self._warned:
                    self._warned.add((scope, who, text))
                    logger.warning("agent-router: the agent_router policy of %s is invalid and is ignored "
                                   "(the %s serves): %s", who, "team's or YAML's policy" if scope == "key"
                                   else "YAML's policy", exc)
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        built = (merge(self.config, blocks), tuple(errors))
        self._cache[cache_key] = built
        return built


def budget_models(policy: TenantPolicy, key: tuple[Any, Any], team: tuple[Any, Any]) -> Mapping[str, str]:
    """The intents (-> models) the budget moves for this caller: none unless its spend share
    (key first, then team) reached the policy's `budget.at`."""
    budget = policy.budget
    if budget is None or budget.at is None or not budget.intent_models:
        return {}
    share = caller_share(key, team)
    return budget.intent_models if share is not None and share >= budget.at else {}


class BudgetMemory:
    """Whether a task's first turn was over its caller's `budget.at`, kept for its continuations
    (the same conversation view, `plugins.classify.continuity`) within this process: a task that
    crosses the threshold mid-way stays on the models it started with. Keyed on the caller too, so
    two tenants sending the same conversation never share a decision."""

    def __init__(self, size: int) -> None:
        self._first: ContinuityCache[bool] = ContinuityCache(size)

    def keep(self, caller: str, prompt: Prompt, reached: bool) -> bool:
        return self._first.keep(task_key(caller, prompt), reached)


def task_key(caller: str, prompt: Prompt) -> bytes:
    """A digest of the caller and of its conversation view, each text by its length, head and tail:
    an agent's later steps read the same view as its first (`plugins.classify.continuity`)."""
    digest = hashlib.blake2b(caller.encode("utf-8", "surrogatepass"), digest_size=DIGEST_SIZE)
    digest.update(b"t" if prompt.typed else b"u")
    for text in (prompt.system, *prompt.context, prompt.latest):
        part = text if len(text) <= 2 * VIEW_CHARS else text[:VIEW_CHARS] + text[-VIEW_CHARS:]
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(text).to_bytes(8, "little") + len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.digest()
