"""The bundle on the LiteLLM under test, end to end, against real MAX Serve echo backends.

`make test` runs this module on the locked LiteLLM and, in the same session (the backends start
once), on the newest of the tested range: it names that install's `litellm` CLI in
AGENT_ROUTER_COMPAT_BIN (`.venv-compat-<version>`, which reads the bundle from the locked
environment). `make compat LITELLM=<version>` runs it in another version's own environment. One
proxy per install; the fallback test is last because the fault it injects cools a deployment down.
"""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import plugins
import router_hooks
from scripts.stack import LITELLM_BIN
from tests.support.cluster import Backend, Proxy, launch_proxy
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

CHAT = "/v1/chat/completions"
CODE = "Write a Python function that parses a CSV file and fix this bug: ```x = [1,2```"
GENERAL = "Tell me a story about the history of Rome."


def bundle_modules() -> list[str]:
    names = []
    for package in (router_hooks, plugins):
        names.append(package.__name__)
        names += [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    return names


COMPAT_BIN_ENV = "AGENT_ROUTER_COMPAT_BIN"


@dataclass(frozen=True)
class Install:
    """One LiteLLM install: its `litellm` CLI and the version its interpreter imports."""

    litellm_bin: str
    version: str


def installs() -> list[str]:
    extra = os.environ.get(COMPAT_BIN_ENV)
    return [LITELLM_BIN, extra] if extra else [LITELLM_BIN]


def read_install(litellm_bin: str) -> Install:
    python = Path(litellm_bin).read_text().splitlines()[0].removeprefix("#!").strip()
    found = subprocess.run([python, "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
                           capture_output=True, text=True, check=True, timeout=60)
    return Install(litellm_bin, found.stdout.strip())


@pytest.fixture(scope="module", params=installs(), ids=lambda b: "locked" if b == LITELLM_BIN else "newest")
def install(request: pytest.FixtureRequest) -> Install:
    return read_install(request.param)


@pytest.fixture(scope="module")
def compat_proxy(install: Install, backends: dict[str, Backend], log_dir: Path) -> Iterator[Proxy]:
    # A DeprecationWarning caused by the bundle's own code raises there (and the hook, failing open,
    # logs it): the proxy replaces warnings.showwarning with one that prints nothing. -W matches
    # module names exactly, hence one filter per module; LiteLLM's own warnings stay as they were.
    env = {"PYTHONWARNINGS": ",".join(f"error::DeprecationWarning:{m}" for m in bundle_modules())}
    with launch_proxy(backends, log_dir, name=f"litellm-compat-{install.version}", extra_env=env,
                      litellm_bin=install.litellm_bin) as running:
        yield running


def routing(resp: httpx.Response) -> dict[str, object]:
    assert resp.status_code == 200, resp.text
    return dict(json.loads(resp.headers["x-routing-metadata"]))


def requests_total(proxy: Proxy, **labels: str) -> float:
    resp = proxy.client.get("/metrics/")  # a mounted sub-app: /metrics answers 307
    assert resp.status_code == 200, resp.text[:300]
    want = set(labels.items())
    return sum(s.value for family in text_string_to_metric_families(resp.text) for s in family.samples
               if s.name == "agent_router_requests_total" and want <= set(s.labels.items()))


def test_proxy_runs_the_litellm_under_test(compat_proxy: Proxy, install: Install) -> None:
    resp = compat_proxy.client.get("/health/readiness/details")  # authenticated, in all three
    assert resp.status_code == 200, resp.text
    assert resp.json().get("litellm_version") == install.version, resp.text
    # Inside the tested range: no start-up warning about it.
    assert "outside the tested range" not in compat_proxy.process.log_path.read_text(errors="replace")


def test_chat_is_routed_by_intent(compat_proxy: Proxy, healthy_backends: dict[str, Backend]) -> None:
    qwen = healthy_backends["qwen-coder"]
    before = qwen.fault.count(CHAT)
    meta = routing(compat_proxy.chat(CODE))
    assert meta["intent"] == "code" and meta["model_id"] == "qwen-coder"
    assert meta["model_name"] == qwen.served_model and meta["fallback_used"] is False
    assert qwen.fault.count(CHAT) == before + 1


def test_streaming_is_routed(compat_proxy: Proxy, healthy_backends: dict[str, Backend]) -> None:
    body = {"model": "agent-router", "stream": True, "max_tokens": 8,
            "messages": [{"role": "user", "content": GENERAL}]}
    with compat_proxy.client.stream("POST", CHAT, json=body) as resp:
        meta = routing(resp)
        lines = [line for line in resp.iter_lines() if line.startswith("data: ")]
    assert meta["model_id"] == "llama"
    assert resp.headers["x-litellm-model-api-base"] == healthy_backends["llama"].fault.api_base
    assert lines[-1] == "data: [DONE]" and len(lines) >= 2


def test_wrong_key_is_401(compat_proxy: Proxy) -> None:
    resp = httpx.post(compat_proxy.base_url + CHAT, timeout=30,
                      headers={"Authorization": "Bearer sk-wrong-key-000000"},
                      json={"model": "agent-router", "messages": [{"role": "user", "content": "hi"}]})
    assert resp.status_code == 401, resp.text
    assert resp.json()["error"]["message"]


def test_metrics_count_routed_requests(compat_proxy: Proxy, healthy_backends: dict[str, Backend]) -> None:
    before = requests_total(compat_proxy, model="qwen-coder", intent="code", status="success")
    routing(compat_proxy.chat(CODE))
    # Success callbacks run after the response is sent.
    eventually(lambda: requests_total(compat_proxy, model="qwen-coder", intent="code", status="success"),
               30, "agent_router_requests_total counted the request", until=lambda n: n >= before + 1,
               interval=0.5)
    assert "litellm_" in compat_proxy.client.get("/metrics/").text  # LiteLLM's own series beside ours


# -- other surfaces --------------------------------------------------------------------------------
# /v1/responses, /v1/messages and /v1/completions go here once the bundle routes them (their call
# types and metadata keys per version are pinned in tests/test_litellm_contract.py::ROUTES).


# -- last: cools a deployment down ------------------------------------------------------------------

def test_fallback_when_the_primary_fails(compat_proxy: Proxy, healthy_backends: dict[str, Backend]) -> None:
    qwen = healthy_backends["qwen-coder"].fault
    qwen.mode = "error500"
    try:
        resp = compat_proxy.chat(CODE)
    finally:
        qwen.mode = "pass"
    meta = routing(resp)
    # qwen-coder -> llama -> deepseek-r1 (router_settings.fallbacks)
    assert meta["primary_model"] == "qwen-coder" and meta["model_id"] == "llama"
    assert meta["fallback_used"] is True
    assert resp.headers["x-litellm-model-api-base"] == healthy_backends["llama"].fault.api_base


def test_bundle_caused_no_deprecation_warning(compat_proxy: Proxy) -> None:
    """After the traffic above: no DeprecationWarning raised in (and logged by) the bundle's code."""
    log = compat_proxy.process.log_path.read_text(errors="replace").splitlines()
    assert [line for line in log if "DeprecationWarning" in line] == []
