"""Virtual keys limited to agent-router, against a real proxy and real MAX Serve backends.

The proxy runs the project's litellm_config.yaml plus LiteLLM's custom-auth hook
(tests/support/key_auth.py) with its common checks: the model-access rules database keys get,
without the database this machine cannot run (see docs/DEPLOYMENT.md, "Keys").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest
import yaml

from tests.support.cluster import CONFIG, Backend, Proxy, launch_proxy
from tests.support.key_auth import KEYS_ENV
from tests.support.scrape import parse, scrape, value

pytestmark = pytest.mark.integration

ACCESS_GROUP = "agent-router-models"
CODE = "Write a Python function that parses a CSV file and fix this bug: ```x = [1,2```"
REASONING = "Solve step by step: how many ways can 3 people sit in 5 chairs? Prove it."
OUTSIDE = "outside-model"  # a deployment outside the access group
GROUP_KEY = "sk-test-group-key"  # models: [agent-router-models], as docs/DEPLOYMENT.md advises
ROUTER_KEY = "sk-test-router-key"  # models: [agent-router]
# Issue 20: keys whose lists limit routing (see KEYS below).
NAMED_KEY = "sk-test-named-key"
TEAM_KEY = "sk-test-team-key"
NONE_KEY = "sk-test-none-key"
POLICY_KEY = "sk-test-policy-key"
BUDGET_KEY = "sk-test-budget-key"
BAD_POLICY_KEY = "sk-test-bad-policy-key"
OWN_CHAIN_KEY = "sk-test-own-chain-key"
KEYS: dict[str, Any] = {
    GROUP_KEY: [ACCESS_GROUP],
    ROUTER_KEY: ["agent-router"],
    # agent-router plus one target by name: routing is limited to llama.
    NAMED_KEY: ["agent-router", "llama"],
    # No key list; its team holds agent-router and deepseek-r1.
    TEAM_KEY: {"models": [], "team_id": "team-reasoners", "team_models": ["agent-router", "deepseek-r1"]},
    # Key allows llama, its team qwen-coder: nothing is left to route to.
    NONE_KEY: {"models": ["agent-router", "llama"], "team_id": "team-coders",
               "team_models": ["agent-router", "qwen-coder"]},
    # Its own intent map: code goes to deepseek-r1.
    POLICY_KEY: {"models": [ACCESS_GROUP], "metadata": {"agent_router": {"intent_models": {"code": "deepseek-r1"}}}},
    # 90% of its team's budget spent, over the team policy's `at`: reasoning goes to llama.
    BUDGET_KEY: {"models": [ACCESS_GROUP], "team_id": "team-thrifty", "team_spend": 90.0, "team_max_budget": 100.0,
                 "team_metadata": {"agent_router": {"budget": {"at": 0.8, "intent_models": {"reasoning": "llama"}}}}},
    # Names a model the YAML does not route: ignored, the YAML's policy serves.
    BAD_POLICY_KEY: {"models": [ACCESS_GROUP], "metadata": {"agent_router": {"intent_models": {"code": OUTSIDE}}}},
    # Without qwen-coder, with its own fallback chain for it (LiteLLM's key-level router_settings).
    OWN_CHAIN_KEY: {"models": ["agent-router", "llama", "deepseek-r1"],
                    "router_settings": {"fallbacks": [{"qwen-coder": ["deepseek-r1", "llama"]}]}},
}
# (key, prompt) -> (intent, YAML model, tenant primary, header reason)
TENANTS = {
    "restricted": (NAMED_KEY, CODE, ("code", "qwen-coder", "llama", "access")),
    "own-policy": (POLICY_KEY, CODE, ("code", "qwen-coder", "deepseek-r1", None)),
    "near-budget": (BUDGET_KEY, REASONING, ("reasoning", "deepseek-r1", "llama", "budget")),
}


def keyed_config(path: Path) -> Path:
    """The project's config, plus custom auth with common checks and one model outside the group."""
    doc = yaml.safe_load(CONFIG.read_text())
    llama = next(m for m in doc["model_list"] if m["model_name"] == "llama")
    outside = {"model_name": OUTSIDE, "litellm_params": dict(llama["litellm_params"]),
               "model_info": {"mode": "chat"}}
    doc["model_list"].append(outside)
    doc.setdefault("general_settings", {}).update(
        custom_auth="tests.support.key_auth.user_api_key_auth", custom_auth_run_common_checks=True,
    )
    doc.setdefault("litellm_settings", {})["enable_post_custom_auth_checks"] = True
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def keyed_proxy(
    backends: dict[str, Backend], log_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proxy]:
    config = keyed_config(tmp_path_factory.mktemp("keys") / "litellm_config.yaml")
    keys_env = {KEYS_ENV: json.dumps(KEYS)}
    with launch_proxy(backends, log_dir, config=config, name="litellm-keys", extra_env=keys_env) as proxy:
        yield proxy


def call(
    proxy: Proxy, key: str, model: str = "agent-router", content: str = CODE
) -> httpx.Response:
    return proxy.client.post(
        "/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
        json={"model": model, "max_tokens": 8, "messages": [{"role": "user", "content": content}]},
    )


def routing(resp: httpx.Response) -> dict[str, Any]:
    return dict(json.loads(resp.headers["x-routing-metadata"]))


def test_the_shipped_deployments_share_the_access_group() -> None:
    doc = yaml.safe_load(CONFIG.read_text())
    for model in doc["model_list"]:
        assert ACCESS_GROUP in model["model_info"]["access_groups"], model["model_name"]


@pytest.mark.parametrize("key", [GROUP_KEY, ROUTER_KEY])
def test_limited_key_calls_agent_router_and_is_routed(
    keyed_proxy: Proxy, healthy_backends: dict[str, Backend], key: str
) -> None:
    resp = call(keyed_proxy, key)
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-litellm-model-api-base"] == healthy_backends["qwen-coder"].fault.api_base
    assert routing(resp)["model_id"] == "qwen-coder"


@pytest.mark.parametrize("tenant", list(TENANTS))
def test_tenants_are_routed_by_their_policy_on_every_surface(keyed_proxy: Proxy, tenant: str) -> None:
    """restricted: [agent-router, llama] sends code (qwen-coder in the YAML) to llama, the first
    allowed model of qwen-coder's chain; own-policy: its metadata maps code to deepseek-r1;
    near-budget: its team spent 90% with `budget.at: 0.8`. The tenant's primary serves, so no
    fallback is counted; access and budget moves are counted as policy reroutes."""
    key, prompt, (intent, yaml_model, primary, reason) = TENANTS[tenant]
    reroutes = {"from_model": yaml_model, "to_model": primary, "reason": reason or "access"}
    before = parse(scrape(keyed_proxy))
    base = keyed_proxy.base_url
    with openai.OpenAI(base_url=base + "/v1", api_key=key, max_retries=0) as oai, \
            anthropic.Anthropic(base_url=base, api_key=key, max_retries=0) as claude:
        answers: list[Any] = [
            oai.chat.completions.with_raw_response.create(
                model="agent-router", max_tokens=8, messages=[{"role": "user", "content": prompt}]),
            oai.completions.with_raw_response.create(model="agent-router", max_tokens=8, prompt=prompt),
            oai.responses.with_raw_response.create(model="agent-router", max_output_tokens=16, input=prompt),
            claude.messages.with_raw_response.create(
                model="agent-router", max_tokens=8, messages=[{"role": "user", "content": prompt}]),
        ]
    for raw in answers:
        meta = json.loads(raw.headers["x-routing-metadata"])
        assert (meta["intent"], meta["primary_model"], meta["model_id"]) == (intent, primary, primary), meta
        assert meta["reason"] == reason and meta["fallback_used"] is False
    after = parse(scrape(keyed_proxy))
    moved = value(after, "agent_router_policy_reroutes_total", **reroutes) - value(
        before, "agent_router_policy_reroutes_total", **reroutes)
    assert moved == (4 if reason else 0)
    assert value(after, "agent_router_fallback_requests_total", from_model=primary, to_model=yaml_model) == value(
        before, "agent_router_fallback_requests_total", from_model=primary, to_model=yaml_model)


def test_an_invalid_policy_never_fails_the_request(keyed_proxy: Proxy) -> None:
    before = value(parse(scrape(keyed_proxy)), "agent_router_policy_errors_total", scope="key")
    for _ in range(2):
        resp = call(keyed_proxy, BAD_POLICY_KEY)
        assert resp.status_code == 200, resp.text
        assert routing(resp)["primary_model"] == "qwen-coder"  # the YAML's policy
    assert value(parse(scrape(keyed_proxy)), "agent_router_policy_errors_total", scope="key") - before == 2
    log = keyed_proxy.process.log_path.read_text(errors="replace")
    warned = [line for line in log.splitlines() if "agent_router policy of key" in line]
    assert len(warned) == 1 and OUTSIDE in warned[0], warned
    assert BAD_POLICY_KEY not in log


def test_group_key_keeps_its_fallbacks_when_the_routed_model_fails(
    keyed_proxy: Proxy, healthy_backends: dict[str, Backend]
) -> None:
    qwen = healthy_backends["qwen-coder"].fault
    before = qwen.count("/v1/chat/completions")
    qwen.mode = "error500"
    try:
        resp = call(keyed_proxy, GROUP_KEY)
    finally:
        qwen.mode = "pass"
    assert resp.status_code == 200, resp.text
    assert qwen.count("/v1/chat/completions") > before  # the routed model really was tried
    meta = routing(resp)
    assert meta["fallback_used"] is True and meta["model_id"] == "llama"
    assert resp.headers["x-litellm-model-api-base"] == healthy_backends["llama"].fault.api_base


def test_keys_are_refused_models_outside_their_list(
    keyed_proxy: Proxy, healthy_backends: dict[str, Backend]
) -> None:
    for key in (GROUP_KEY, ROUTER_KEY):
        resp = call(keyed_proxy, key, model=OUTSIDE)
        assert resp.status_code == 403, resp.text
        assert resp.json()["error"]["type"] == "key_model_access_denied"
    # The routed models are in the group: a group key may name them, an agent-router key may not.
    assert call(keyed_proxy, GROUP_KEY, model="qwen-coder").status_code == 200
    assert call(keyed_proxy, ROUTER_KEY, model="qwen-coder").status_code == 403
    assert call(keyed_proxy, "sk-test-unknown").status_code == 401


def test_key_limited_to_agent_router_alone_keeps_its_fallbacks(
    keyed_proxy: Proxy, healthy_backends: dict[str, Backend]
) -> None:
    """Inverted on purpose (issue 20): LiteLLM 1.108.7 re-checks every fallback target against the
    request's auth object (proxy/auth/fallback_model_access.py), and `llama` is not in
    [agent-router], so this was a 500. The hook now hands that re-check a per-request copy of the
    auth object naming the models the key may be routed to; the global
    `enforce_fallback_model_access` stays on.

    It fails deepseek-r1, not qwen-coder: the earlier test left qwen-coder cooled down and marked
    unhealthy in this proxy, and the bundle's health gate would route around it before LiteLLM.
    The tenant tests run before both (they expect every model healthy)."""
    deepseek = healthy_backends["deepseek-r1"].fault
    before = deepseek.count("/v1/chat/completions")
    deepseek.mode = "error500"
    try:
        resp = call(keyed_proxy, ROUTER_KEY, content=REASONING)
    finally:
        deepseek.mode = "pass"
    assert resp.status_code == 200, resp.text
    assert deepseek.count("/v1/chat/completions") > before
    meta = routing(resp)
    assert meta["primary_model"] == "deepseek-r1" and meta["fallback_used"] is True
    assert meta["model_id"] == "llama" and meta["reason"] == "fallback"


def test_team_models_limit_routing(keyed_proxy: Proxy, healthy_backends: dict[str, Backend]) -> None:
    """A key with no list inherits its team's [agent-router, deepseek-r1]: code goes to deepseek-r1
    (qwen-coder's chain is llama, deepseek-r1; llama is not the team's)."""
    resp = call(keyed_proxy, TEAM_KEY)
    assert resp.status_code == 200, resp.text
    meta = routing(resp)
    assert (meta["primary_model"], meta["model_id"], meta["reason"]) == ("deepseek-r1", "deepseek-r1", "access")
    # Without a database LiteLLM 1.108.7 checks only the KEY's list at auth time on custom auth
    # (enforce_key_and_fallback_model_access; the team check in common_checks needs the team row):
    # naming a target outside the team's list directly is served. Documented in docs/TENANCY.md.
    assert call(keyed_proxy, TEAM_KEY, model="llama").status_code == 200


def test_the_keys_own_fallback_chain_picks_its_primary(keyed_proxy: Proxy) -> None:
    """The YAML's chain for qwen-coder starts with llama; the key's router_settings start with deepseek-r1."""
    resp = call(keyed_proxy, OWN_CHAIN_KEY)
    assert resp.status_code == 200, resp.text
    meta = routing(resp)
    assert (meta["primary_model"], meta["model_id"], meta["reason"]) == ("deepseek-r1", "deepseek-r1", "access")


def test_no_allowed_model_is_403_in_each_surface_format(
    keyed_proxy: Proxy, healthy_backends: dict[str, Backend]
) -> None:
    counts = {m: b.fault.count("/v1/chat/completions") for m, b in healthy_backends.items()}
    base = keyed_proxy.base_url
    with openai.OpenAI(base_url=base + "/v1", api_key=NONE_KEY, max_retries=0) as oai, \
            pytest.raises(openai.PermissionDeniedError) as refused:
        oai.chat.completions.create(model="agent-router", max_tokens=8,
                                    messages=[{"role": "user", "content": CODE}])
    assert refused.value.status_code == 403 and "none of the models" in str(refused.value)
    with anthropic.Anthropic(base_url=base, api_key=NONE_KEY, max_retries=0) as claude, \
            pytest.raises(anthropic.PermissionDeniedError) as denied:
        claude.messages.create(model="agent-router", max_tokens=8,
                               messages=[{"role": "user", "content": CODE}])
    body = denied.value.body
    assert isinstance(body, dict) and body.get("type") == "error", body  # Anthropic's error format
    assert counts == {m: b.fault.count("/v1/chat/completions") for m, b in healthy_backends.items()}


def test_classify_answers_as_a_simulated_tenant(keyed_proxy: Proxy) -> None:
    """An admin key passes a tenant's fields in the body; how ordinary keys reach /router/* is the
    learning-loop issue's (19) to decide. Nothing is sent to a model."""
    def classify(tenant: Any = None, content: str = CODE) -> httpx.Response:
        envelope: dict[str, Any] = {"body": {"model": "agent-router",
                                             "messages": [{"role": "user", "content": content}]}}
        if tenant is not None:
            envelope["tenant"] = tenant
        return keyed_proxy.client.post("/router/classify", json=envelope)

    plain = classify().json()
    assert (plain["model"], plain["reason"], plain["allowed_models"]) == ("qwen-coder", None, None)
    restricted = classify({"models": ["agent-router", "llama"]}).json()
    assert (restricted["primary_model"], restricted["yaml_model"], restricted["reason"]) == (
        "llama", "qwen-coder", "access")
    assert restricted["allowed_models"] == ["llama"] and "may not use qwen-coder" in restricted["why"]
    budget = classify({"team_id": "t", "team_spend": 9, "team_max_budget": 10, "team_metadata": {
        "agent_router": {"budget": {"at": 0.8, "intent_models": {"reasoning": "llama"}}}}}, REASONING).json()
    assert (budget["primary_model"], budget["reason"]) == ("llama", "budget")
    nothing = classify(KEYS[NONE_KEY])
    assert nothing.status_code == 403 and nothing.json()["error"]["type"] == "key_model_access_denied"
    assert classify("not an object").status_code == 400
    assert classify({"api_key": "sk-other"}).status_code == 400  # only the tenant fields


def test_fallbacks_stay_within_the_callers_models(
    keyed_proxy: Proxy, healthy_backends: dict[str, Backend]
) -> None:
    """[agent-router, llama] routed to llama, and llama fails: LiteLLM's re-check (left on) refuses
    qwen-coder and deepseek-r1 for this key, so no other backend is called. Last in the module: it
    leaves llama failing in this proxy's view."""
    counts = {m: b.fault.count("/v1/chat/completions") for m, b in healthy_backends.items()}
    llama = healthy_backends["llama"].fault
    llama.mode = "error500"
    try:
        resp = call(keyed_proxy, NAMED_KEY)
    finally:
        llama.mode = "pass"
    assert resp.status_code >= 500, resp.text
    assert "not authorized" in resp.json()["error"]["message"]
    assert llama.count("/v1/chat/completions") > counts["llama"]
    assert all(healthy_backends[m].fault.count("/v1/chat/completions") == counts[m]
               for m in ("qwen-coder", "deepseek-r1"))
