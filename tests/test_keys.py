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

import httpx
import pytest
import yaml

from tests.support.cluster import CONFIG, Backend, Proxy, launch_proxy
from tests.support.key_auth import KEYS_ENV

pytestmark = pytest.mark.integration

ACCESS_GROUP = "agent-router-models"
GROUP_KEY = "sk-test-group-key"  # models: [agent-router-models], as docs/DEPLOYMENT.md advises
ROUTER_KEY = "sk-test-router-key"  # models: [agent-router]
CODE = "Write a Python function that parses a CSV file and fix this bug: ```x = [1,2```"
REASONING = "Solve step by step: how many ways can 3 people sit in 5 chairs? Prove it."
OUTSIDE = "outside-model"  # a deployment outside the access group


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
    keys = {GROUP_KEY: [ACCESS_GROUP], ROUTER_KEY: ["agent-router"]}
    keys_env = {KEYS_ENV: json.dumps(keys)}
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


def test_key_limited_to_agent_router_alone_loses_its_fallbacks(
    keyed_proxy: Proxy, healthy_backends: dict[str, Backend]
) -> None:
    """Why the docs say "limit keys to the access group": LiteLLM 1.108.7 re-checks every fallback
    target against the key (proxy/auth/fallback_model_access.py), and `llama` is not in
    [agent-router]. The routed model itself is not re-checked, so routing still works.

    It fails deepseek-r1, not qwen-coder: the earlier test left qwen-coder cooled down and marked
    unhealthy in this proxy, and the bundle's health gate would route around it before LiteLLM."""
    deepseek = healthy_backends["deepseek-r1"].fault
    before = deepseek.count("/v1/chat/completions")
    deepseek.mode = "error500"
    try:
        resp = call(keyed_proxy, ROUTER_KEY, content=REASONING)
    finally:
        deepseek.mode = "pass"
    assert resp.status_code == 500
    assert deepseek.count("/v1/chat/completions") > before
    assert "skipped because the caller is not authorized" in resp.json()["error"]["message"]
    meta = routing(resp)
    assert meta["primary_model"] == "deepseek-r1" and meta["fallback_used"] is False
