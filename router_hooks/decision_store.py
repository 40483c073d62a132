"""Which store keeps the decision handles: the Redis that `router_settings` gives LiteLLM's router
(so every replica finds every decision), else this process's memory; and the id form stored."""

from __future__ import annotations

import logging
from typing import Any

from litellm.proxy.hooks.responses_id_security import decrypted_response_id

from plugins.config import FeedbackSettings
from plugins.feedback.redis_store import RedisStore
from plugins.feedback.store import DecisionStore, MemoryStore

logger = logging.getLogger(__name__)


def decision_store(settings: FeedbackSettings, router: Any) -> DecisionStore:
    """`router` is the proxy's router view: its `cache.redis_cache` is the RedisCache LiteLLM built from
    `router_settings.redis_host`/`redis_port`/`redis_password`/`cache_kwargs` (1.108.7 `Router.cache`;
    1.110 `health().store`, through `EntryPointView.cache`)."""
    redis_cache = getattr(getattr(router, "cache", None), "redis_cache", None)
    if redis_cache is None:
        logger.info("agent-router: decision handles in memory (no Redis in router_settings): feedback "
                    "must reach the worker that routed the request")
        return MemoryStore(settings.ttl_seconds, settings.max_entries)
    logger.info("agent-router: decision handles in the router's Redis")
    return RedisStore(redis_cache.init_async_client(), settings.ttl_seconds)


def canonical_response_id(response_id: str) -> str:
    """LiteLLM's decrypted form of a Responses id (the same for each of its encryptions); any other
    id as it is. Only `resp_` ids are tried: decrypting is a wasted cost on the others."""
    if not response_id.startswith("resp_"):
        return response_id
    try:
        return decrypted_response_id(response_id)
    except Exception:  # not one LiteLLM encrypted, or no signing key: the id as the client holds it
        return response_id
