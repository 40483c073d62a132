"""Who may call the bundle's key routes (`/router/feedback`, `/router/classify`), and who the caller is.

The choice (issue 19): the bundle keeps LiteLLM's own authorisation. LiteLLM 1.108.7 answers an
ordinary key's call to any `/router/*` route with 401 "Only proxy admin can ..."
(proxy/auth/route_checks.py `non_proxy_admin_allowed_routes_check`) and has no switch for all keys
outside its enterprise package, so the operator grants the routes per key or team:

    allowed_routes: ["llm_api_routes", "/router/feedback", "/router/classify"]

(`llm_api_routes` must be listed too: a key with `allowed_routes` may call only those). Why not
authenticate the key ourselves and skip the admin-route rule: that would mean calling into the middle
of LiteLLM's 4 500-line auth (key lookup without its route, budget and team checks, which change
between releases) and would open the routes to every key with no way for an operator to close them;
granting them keeps blocked keys, budgets, expiry and team route rules in force and lets an operator
take feedback from a reviewers' team only. `/router/info` and `/router/health` stay admin-only.
tests/test_feedback_integration.py pins both answers with custom-auth keys.
"""

from __future__ import annotations

from typing import Any, Final

from litellm.proxy._types import LitellmUserRoles

from plugins.feedback.handle import Caller, caller_hash

# The routes an operator can grant an ordinary key (beside the LLM API routes).
KEY_ROUTES: Final = ("/router/feedback", "/router/classify")


def caller_of(user_api_key_dict: Any) -> Caller:
    """The caller as stored and compared: hashed key (LiteLLM's `token`, itself a hash of the key
    for database keys) and team; the proxy admin role may report on any decision."""
    key = getattr(user_api_key_dict, "token", None) or getattr(user_api_key_dict, "api_key", None)
    team = getattr(user_api_key_dict, "team_id", None)
    role = getattr(user_api_key_dict, "user_role", None)
    admin = role in (LitellmUserRoles.PROXY_ADMIN, LitellmUserRoles.PROXY_ADMIN.value)
    return Caller(caller_hash(key if isinstance(key, str) else None),
                  caller_hash(team if isinstance(team, str) else None), admin)
