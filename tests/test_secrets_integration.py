"""Planted secrets never come back out: a real proxy run, then a search of everything it produced.

Three unique tokens are planted: one in a prompt, one in API keys (the master key the proxy runs
with and a wrong key a client tries), one as `user:password@` credentials in qwen-coder's
api_base. After routed traffic (plain, streaming, a fallback after a 500, a rejected key), the
response headers, `/router/health`, `/router/info`, the proxy's `/metrics/`, the bundle's exporter
and the proxy's own log at INFO are searched for each of them.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.cluster import Backend, Proxy, launch_proxy

pytestmark = pytest.mark.integration

PROMPT_TOKEN = "promptsecret" + secrets.token_hex(8)
KEY_TOKEN = "keysecret" + secrets.token_hex(8)
BASE_USER = "baseuser" + secrets.token_hex(4)
BASE_PASSWORD = "basepass" + secrets.token_hex(8)
CODE = f"Write a Python function that parses a CSV file (ticket {PROMPT_TOKEN}) and fix this bug: ```x = [1,2```"


@pytest.fixture(scope="module")
def planted(backends: dict[str, Backend], log_dir: Path) -> Iterator[tuple[Proxy, Backend, Path]]:
    for backend in backends.values():
        backend.fault.mode = "pass"
        backend.ensure_running()
    qwen = backends["qwen-coder"]
    base = f"http://{BASE_USER}:{BASE_PASSWORD}@127.0.0.1:{qwen.fault.port}/v1"
    # LiteLLM 1.108.7's default aiohttp transport refuses credentials in the URL next to the
    # Authorization header it sets ("Cannot combine AUTHORIZATION header with ... credentials
    # encoded in URL"); its httpx transport sends them as basic auth, so the deployment works.
    env = {"QWEN_API_BASE": base, "LITELLM_LOG": "INFO", "DISABLE_AIOHTTP_TRANSPORT": "True"}
    # Python's root logger stays at WARNING in a plain proxy, so the bundle's INFO lines (and
    # httpx's request lines) would never be written: this run logs everything at INFO.
    log_config = log_dir / "secrets-logging.json"
    log_config.write_text(json.dumps({
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": "INFO", "handlers": ["stderr"]},
    }))
    with launch_proxy(backends, log_dir, name="litellm-secrets", extra_env=env,
                      master_key=f"sk-{KEY_TOKEN}", extra_args=["--log_config", str(log_config)]) as proxy:
        yield proxy, qwen, log_dir / "litellm-secrets.log"


def headers_text(resp: httpx.Response) -> str:
    return "\n".join(f"{k}: {v}" for k, v in resp.headers.items())


def test_no_planted_secret_in_anything_the_proxy_served_or_logged(
    planted: tuple[Proxy, Backend, Path],
) -> None:
    proxy, qwen, log_path = planted
    produced: dict[str, str] = {}
    body = {"model": "agent-router", "max_tokens": 8, "messages": [{"role": "user", "content": CODE}]}

    plain = proxy.client.post("/v1/chat/completions", json=body)
    assert plain.status_code == 200, plain.text
    assert '"model_id":"qwen-coder"' in plain.headers["x-routing-metadata"].replace(" ", "")
    produced["chat headers"] = headers_text(plain)
    with proxy.client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as stream:
        assert stream.status_code == 200
        stream.read()
        produced["streaming headers"] = headers_text(stream)
    try:
        qwen.fault.mode = "error500"  # the fallback path: LiteLLM's exception text names the api_base
        fallback = proxy.client.post("/v1/chat/completions", json=body)
        assert fallback.status_code == 200, fallback.text
        produced["fallback headers"] = headers_text(fallback)
        direct = proxy.client.post("/v1/chat/completions", json={**body, "model": "qwen-coder"})
        produced["direct-to-failing-model headers"] = headers_text(direct)
    finally:
        qwen.fault.mode = "pass"
    wrong = httpx.post(proxy.base_url + "/v1/chat/completions", json=body, timeout=30,
                       headers={"Authorization": f"Bearer sk-wrong{KEY_TOKEN}"})
    assert wrong.status_code == 401
    produced["wrong-key headers"] = headers_text(wrong)

    for path in ("/router/health", "/router/info", "/metrics/"):
        resp = proxy.client.get(path)
        assert resp.status_code == 200, (path, resp.text[:300])
        produced[path] = headers_text(resp) + "\n" + resp.text
    exporter = httpx.get(f"http://127.0.0.1:{proxy.metrics_port}/metrics", timeout=10)
    assert exporter.status_code == 200
    produced["exporter /metrics"] = exporter.text
    proxy.stop()
    produced["proxy log (INFO)"] = log_path.read_text(errors="replace")
    # The bundle's own INFO lines are there (so the search covers them).
    assert "router_hooks.bundle INFO agent-router:" in produced["proxy log (INFO)"]

    # The places that did carry the credentials (LiteLLM's header, its api_base labels) are there,
    # with the address alone: the search above is not vacuous.
    clean_base = f"http://127.0.0.1:{qwen.fault.port}/v1"
    assert plain.headers["x-litellm-model-api-base"] == clean_base
    assert f'api_base="{clean_base}"' in produced["/metrics/"]
    assert f'api_base="{clean_base}"' in produced["exporter /metrics"]

    leaks = [
        f"{what} in {where}"
        for what, token in (("prompt text", PROMPT_TOKEN), ("API key", KEY_TOKEN),
                            ("api_base user", BASE_USER), ("api_base password", BASE_PASSWORD))
        for where, text in produced.items()
        if token in text
    ]
    assert leaks == [], leaks
