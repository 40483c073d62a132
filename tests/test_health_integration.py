"""The health monitor on a real proxy with real MAX Serve backends: detection, routing around a
dead model, recovery, the operator endpoints, and two replicas sharing what they learn via Redis.

Proxies here run a copy of litellm_config.yaml that differs only in the `agent_router.health`
section (a 1 s probe interval instead of 30 s) and, for the replica test, Redis router settings.
Measured times are printed and written to `<log_dir>/health_measurements.json`; the assertions
bound them generously (a loaded 2-core host), they are not performance checks.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.cluster import CONFIG, Backend, Proxy, launch_proxy
from tests.support.redis_db import empty_redis
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

CODE = "Write a Python function that reverses a linked list, and fix this bug: ```def f(x): return x[::-1```"
HEALTH = {"interval_seconds": 1.0, "timeout_seconds": 1.0, "unhealthy_after": 2, "healthy_after": 2}
# interval * unhealthy_after + timeout, plus slack for a busy 2-core machine and the kill itself.
DETECTION_BOUND = HEALTH["interval_seconds"] * HEALTH["unhealthy_after"] + HEALTH["timeout_seconds"] + 15
REDIS_DB = 7  # a database of its own on the shared Redis; only this one is ever flushed
MODELS = ("llama", "qwen-coder", "deepseek-r1")


def derived_config(tmp: Path, name: str, health: Mapping[str, Any],
                   router_settings: Mapping[str, Any] | None = None) -> Path:
    document = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    document["agent_router"]["health"] = dict(health)
    document["router_settings"].update(router_settings or {})
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def record(log_dir: Path, **figures: float | int) -> None:
    path = log_dir / "health_measurements.json"
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(figures)
    path.write_text(json.dumps(current, indent=2))
    print(f"\nhealth measurements: {figures}")


def status(proxy: Proxy, model: str) -> str:
    return str(proxy.client.get("/router/health").json()["models"][model]["status"])


def rounds(proxy: Proxy) -> int:
    return int(proxy.client.get("/router/info").json()["health_monitor"]["rounds"])


def health(proxy: Proxy) -> tuple[int, dict[str, str]]:
    """/router/health's status code and each model's status: what a failed wait shows."""
    resp = proxy.client.get("/router/health")
    return resp.status_code, {m: e["status"] for m, e in resp.json()["models"].items()}


def routed(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 200, resp.text
    return dict(json.loads(resp.headers["x-routing-metadata"]))


@pytest.fixture(scope="module")
def health_proxy(backends: dict[str, Backend], log_dir: Path,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    for backend in backends.values():
        backend.fault.mode = "pass"
        backend.ensure_running()
    config = derived_config(tmp_path_factory.mktemp("health"), "health-1s", HEALTH)
    with launch_proxy(backends, log_dir, config=config, name="litellm-health") as running:
        eventually(lambda: rounds(running), 30, "probed once", until=lambda n: n > 0)
        yield running


# -- endpoints -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/router/info", "/router/health"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer sk-not-the-master-key"}])
def test_endpoints_reject_requests_without_a_valid_key(
    health_proxy: Proxy, path: str, headers: dict[str, str]
) -> None:
    resp = httpx.get(health_proxy.base_url + path, headers=headers, timeout=30)
    assert resp.status_code == 401, resp.text


def test_router_health_json(health_proxy: Proxy, healthy_backends: dict[str, Backend]) -> None:
    chats = {name: b.fault.count("/v1/chat/completions") for name, b in healthy_backends.items()}
    resp = health_proxy.client.get("/router/health")
    assert resp.status_code == 200
    models = resp.json()["models"]
    assert set(models) == set(MODELS)
    for entry in models.values():
        assert entry["status"] == "healthy"
        assert isinstance(entry["last_probe"], str) and entry["last_probe"].endswith("+00:00")
        assert isinstance(entry["latency_ms"], float) and entry["latency_ms"] >= 0
        assert entry["consecutive_failures"] == 0 and entry["probed"] is True
        assert entry["cooldown"] == {"active": False, "remaining_seconds": 0.0}
    # Answering did not call any model: only the monitor's own probes reached the backends.
    for name, backend in healthy_backends.items():
        assert backend.fault.count("/health") > 0
        assert backend.fault.count("/v1/chat/completions") == chats[name]


def test_router_info_json(health_proxy: Proxy) -> None:
    health_proxy.chat(CODE)
    info = health_proxy.client.get("/router/info").json()
    shipped = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))["agent_router"]["classifier"]
    assert info["version"] and info["classifier"] == shipped
    assert info["intent_models"] == {"code": "qwen-coder", "reasoning": "deepseek-r1", "general": "llama"}
    code = info["intents"]["code"]
    assert code["model"] == "qwen-coder" and code["keywords"] > 10
    assert set(code["thresholds"]) == {"high", "medium", "low"}
    assert info["fallbacks"]["qwen-coder"] == ["llama", "deepseek-r1"]
    assert {m: info["models"][m]["status"] for m in MODELS} == dict.fromkeys(MODELS, "healthy")
    assert info["models"]["llama"]["cooldown"]["active"] is False
    assert info["health_monitor"]["running"] is True and info["health_monitor"]["interval_seconds"] == 1.0
    # Success events are logged after the response is sent: give the counter a moment.
    eventually(lambda: health_proxy.client.get("/router/info").json()["requests"]["by_intent"]["code"],
               10, "counted", until=lambda code: code["success"] >= 1)


def test_model_capabilities_are_listed(health_proxy: Proxy) -> None:
    expected = {entry["model_name"]: entry["model_info"]["capabilities"]
                for entry in yaml.safe_load(CONFIG.read_text())["model_list"]}
    listed = {entry["model_name"]: entry["model_info"].get("capabilities")
              for entry in health_proxy.client.get("/model/info").json()["data"]}
    assert listed == expected
    groups = {g["model_group"] for g in health_proxy.client.get("/model_group/info").json()["data"]}
    assert set(expected) <= groups


# -- outage ------------------------------------------------------------------------------------


def test_dead_model_is_routed_around_then_traffic_returns(
    health_proxy: Proxy, healthy_backends: dict[str, Backend], log_dir: Path
) -> None:
    qwen, llama = healthy_backends["qwen-coder"], healthy_backends["llama"]
    assert routed(health_proxy.chat(CODE))["model_id"] == "qwen-coder"
    try:
        killed_at, killed_wall = time.monotonic(), time.time()
        qwen.kill()
        kill_seconds = time.monotonic() - killed_at
        eventually(lambda: status(health_proxy, "qwen-coder"), DETECTION_BOUND, "detected",
                   until=lambda s: s == "unhealthy")
        # When the proxy itself flipped the state, from the moment the kill began.
        changed = health_proxy.client.get("/router/health").json()["models"]["qwen-coder"]["changed_at"]
        detection = datetime.fromisoformat(changed).timestamp() - killed_wall

        dead_before = qwen.fault.count("/v1/chat/completions")
        served, errors = outage_stream(health_proxy, requests=200, concurrency=8)
        assert errors == [], errors[:3]
        assert served == {"llama": 200}
        # Straight to the fallback: not one request was tried against the dead model first.
        assert qwen.fault.count("/v1/chat/completions") == dead_before

        restarted_at = time.monotonic()
        qwen.ensure_running()
        ready = time.monotonic() - restarted_at
        ready_wall = time.time()
        eventually(lambda: status(health_proxy, "qwen-coder"), 30, "recovered", until=lambda s: s == "healthy")
        changed = health_proxy.client.get("/router/health").json()["models"]["qwen-coder"]["changed_at"]
        recovery = datetime.fromisoformat(changed).timestamp() - ready_wall
        before = qwen.fault.count("/v1/chat/completions")
        meta = routed(health_proxy.chat(CODE))
        assert meta["model_id"] == "qwen-coder" and meta["fallback_used"] is False
        assert qwen.fault.count("/v1/chat/completions") == before + 1
        record(log_dir, kill_seconds=round(kill_seconds, 2), detection_seconds=round(detection, 2),
               outage_requests=200, outage_errors=len(errors), backend_ready_seconds=round(ready, 2),
               recovery_after_ready_seconds=round(recovery, 2))
        assert llama.fault.count("/v1/chat/completions") >= 200
    finally:
        qwen.ensure_running()


def outage_stream(proxy: Proxy, requests: int, concurrency: int) -> tuple[dict[str, int], list[str]]:
    """`requests` code requests at `concurrency`: who served them, and every client-visible error."""
    body = {"model": "agent-router", "max_tokens": 8, "messages": [{"role": "user", "content": CODE}]}
    headers = {"Authorization": f"Bearer {proxy.master_key}"}

    def one(i: int) -> tuple[str | None, str | None]:
        try:
            resp = httpx.post(proxy.base_url + "/v1/chat/completions", json=body, headers=headers, timeout=60)
        except httpx.HTTPError as exc:
            return None, f"{i}: {type(exc).__name__}"
        if resp.status_code != 200:
            return None, f"{i}: {resp.status_code} {resp.text[:200]}"
        return str(json.loads(resp.headers["x-routing-metadata"])["model_id"]), None

    served: dict[str, int] = {}
    errors: list[str] = []
    with ThreadPoolExecutor(concurrency) as pool:
        for model, error in pool.map(one, range(requests)):
            if error is not None:
                errors.append(error)
            elif model is not None:
                served[model] = served.get(model, 0) + 1
    return served, errors


def test_every_model_unhealthy_is_a_clear_error_not_a_hang(
    health_proxy: Proxy, healthy_backends: dict[str, Backend], log_dir: Path
) -> None:
    try:
        for backend in healthy_backends.values():
            backend.fault.mode = "error500"
        eventually(lambda: health(health_proxy), DETECTION_BOUND, "all unhealthy", until=lambda h: h[0] == 503)
        started = time.monotonic()
        # The client's own timeout bounds the wait: a hang fails with ReadTimeout.
        resp = health_proxy.chat(CODE)
        record(log_dir, all_down_error_seconds=round(time.monotonic() - started, 2))
        assert resp.status_code == 503
        assert "no healthy model" in resp.json()["error"]["message"]
    finally:
        for backend in healthy_backends.values():
            backend.fault.mode = "pass"
    eventually(lambda: health(health_proxy), 30, "healthy again", until=lambda h: h[0] == 200)


# -- two replicas, one Redis -------------------------------------------------------------------


@pytest.fixture()
def redis_db() -> Iterator[Any]:
    with empty_redis(REDIS_DB) as client:
        yield client


def test_replicas_share_what_they_learn_through_redis(
    healthy_backends: dict[str, Backend], log_dir: Path, tmp_path: Path, redis_db: Any
) -> None:
    # Probes every hour: after the first round only real requests (and Redis) tell a replica anything.
    config = derived_config(
        tmp_path, "replica", {**HEALTH, "interval_seconds": 3600},
        {"redis_host": "127.0.0.1", "redis_port": 6379, "cache_kwargs": {"db": REDIS_DB}},
    )
    qwen = healthy_backends["qwen-coder"]
    with (
        launch_proxy(healthy_backends, log_dir, config=config, name="litellm-replica-a") as first,
        launch_proxy(healthy_backends, log_dir, config=config, name="litellm-replica-b") as second,
    ):
        try:
            for replica in (first, second):
                eventually(partial(rounds, replica), 30, f"probed once ({replica.process.name})",
                           until=lambda n: n > 0)
            qwen.fault.mode = "error500"
            # Replica A learns from real failures: explicit requests for qwen-coder fail over to llama
            # and LiteLLM cools the deployment down once allowed_fails is exceeded.
            for _ in range(4):
                assert first.chat(CODE, model="qwen-coder").status_code == 200
            eventually(lambda: first.client.get("/router/health").json()["models"]["qwen-coder"]["cooldown"],
                       10, "cooled down on A", until=lambda cooldown: cooldown["active"])
            assert any(b"cooldown" in key for key in redis_db.keys("*"))

            # Replica B never talked to qwen-coder since its first probe, and its monitor still says
            # healthy, yet it sees A's cooldown and sends code straight to the fallback.
            seen = second.client.get("/router/health").json()["models"]["qwen-coder"]
            assert seen["status"] == "healthy" and seen["cooldown"]["active"] is True
            before = qwen.fault.count("/v1/chat/completions")
            meta = routed(second.chat(CODE))
            assert meta["primary_model"] == "qwen-coder" and meta["model_id"] == "llama"
            assert qwen.fault.count("/v1/chat/completions") == before

            # A also marked qwen-coder unhealthy from the failures themselves (passive signal).
            assert status(first, "qwen-coder") == "unhealthy"
        finally:
            qwen.fault.mode = "pass"


# -- LiteLLM's own within-group health routing, fed by our probes ------------------------------


def test_probe_results_steer_litellm_within_a_group(
    healthy_backends: dict[str, Backend], log_dir: Path, tmp_path: Path
) -> None:
    """A second qwen-coder deployment (on another backend) and `enable_health_check_routing`:
    once our probe sees the first deployment down, LiteLLM itself stops picking it."""
    qwen, spare = healthy_backends["qwen-coder"], healthy_backends["deepseek-r1"]
    config = derived_config(tmp_path, "two-deployments", HEALTH, {"enable_health_check_routing": True})
    document = yaml.safe_load(config.read_text())
    document["model_list"].append({
        "model_name": "qwen-coder",
        "litellm_params": {"model": f"openai/{spare.served_model}", "api_base": spare.fault.api_base,
                           "api_key": "none", "max_tokens": 8},
        "model_info": {"access_groups": ["agent-router-models"]},
    })
    config.write_text(yaml.safe_dump(document, sort_keys=False))
    with launch_proxy(healthy_backends, log_dir, config=config, name="litellm-health-group") as proxy:
        try:
            before_close = rounds(proxy)
            qwen.fault.mode = "close"  # probes and requests to the first deployment are dropped
            eventually(lambda: rounds(proxy), 30, "probed twice", until=lambda n: n >= before_close + 2)
            # The group stays healthy (one deployment answers): our hook keeps routing code to it.
            assert status(proxy, "qwen-coder") == "healthy"
            before = qwen.fault.count("/v1/chat/completions")
            bases = set()
            for _ in range(20):
                resp = proxy.chat(CODE, model="qwen-coder")
                assert resp.status_code == 200, resp.text
                bases.add(resp.headers["x-litellm-model-api-base"])
            assert bases == {spare.fault.api_base}
            assert qwen.fault.count("/v1/chat/completions") == before
        finally:
            qwen.fault.mode = "pass"
