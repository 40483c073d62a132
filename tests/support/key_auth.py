"""Virtual keys without a database, for tests: LiteLLM's `general_settings.custom_auth` hook.

Prisma's engines cannot be downloaded on the test machines, so database keys (`/key/generate`)
cannot be created here. A key returned by this hook carries the same `models` list a database key
would; with `custom_auth_run_common_checks: true` and `enable_post_custom_auth_checks: true`
LiteLLM 1.108.7 runs the same model-access checks on it (`enforce_key_and_fallback_model_access`
at auth time, the router's fallback access check before each fallback).

The keys come from the environment as JSON: AGENT_ROUTER_TEST_KEYS='{"sk-...": ["agent-router"]}'
(a model list), or an object of the UserAPIKeyAuth fields a database key carries (issues 19, 20):
`{"sk-...": {"models": [...], "allowed_routes": [...], "team_id": "t1", "team_models": [...],
"team_metadata": {...}, "metadata": {...}, "spend": 8.0, "max_budget": 10.0, "team_spend": ...,
"team_max_budget": ...}}`.
"""

from __future__ import annotations

import json
import os
from typing import Any

from fastapi import HTTPException, Request
from litellm.proxy._types import LitellmUserRoles, UserAPIKeyAuth

KEYS_ENV = "AGENT_ROUTER_TEST_KEYS"
# What a test key may carry besides its models: the fields LiteLLM fills from the key and team rows.
FIELDS = frozenset({"models", "allowed_routes", "team_id", "team_models", "team_metadata", "metadata", "spend",
                    "max_budget", "team_spend", "team_max_budget", "team_alias", "key_alias", "router_settings"})


async def user_api_key_auth(request: Request, api_key: str) -> UserAPIKeyAuth:
    if api_key and api_key == os.environ.get("LITELLM_MASTER_KEY"):
        return UserAPIKeyAuth(api_key=api_key, user_role=LitellmUserRoles.PROXY_ADMIN)
    entry = json.loads(os.environ.get(KEYS_ENV, "{}")).get(api_key)
    if entry is None:
        raise HTTPException(status_code=401, detail="unknown key")
    fields: dict[str, Any] = {"models": list(entry)} if isinstance(entry, list) else dict(entry)
    unknown = set(fields) - FIELDS
    if unknown:
        raise ValueError(f"test key fields not supported: {sorted(unknown)}")
    return UserAPIKeyAuth(api_key=api_key, user_role=LitellmUserRoles.INTERNAL_USER, **fields)
