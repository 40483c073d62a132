"""Known traffic through real proxies (fresh counters), then a scrape with exact values."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.mmap_dict import MmapedDict

from tests.support.cluster import CONFIG, Backend, Proxy, launch_proxy
from tests.support.scrape import parse, scrape, scrape_until, total, value
from tests.support.wait import eventually

pytestmark = pytest.mark.integration

CODE = "Write a Python function that parses a CSV file and fix this bug: ```x = [1,2```"
REASONING = "Solve step by step: how many ways can 3 people sit in 5 chairs? Prove it."
GENERAL = "Tell me a story about the history of Rome."
CHAT = "/v1/chat/completions"

@pytest.fixture(scope="module")
def fresh_proxy(backends: dict[str, Backend], log_dir: Path) -> Iterator[Proxy]:
    """Its own proxy: counters start at zero, and the cooldowns the faults cause die with it."""
    with launch_proxy(backends, log_dir, name="litellm-metrics") as running:
        yield running


def test_known_traffic_gives_exact_series(
    fresh_proxy: Proxy, healthy_backends: dict[str, Backend]
) -> None:
    proxy, b = fresh_proxy, healthy_backends
    for prompt, n in ((CODE, 3), (REASONING, 2), (GENERAL, 1)):
        for _ in range(n):
            assert proxy.chat(prompt).status_code == 200
    before = {g: x.fault.count(CHAT) for g, x in b.items()}
    try:
        b["qwen-coder"].fault.mode = "error500"  # primary fails: a fallback serves
        fell_back = proxy.chat(CODE)
        for backend in b.values():
            backend.fault.mode = "error500"  # the whole chain fails: the client gets an error
        failed = proxy.chat(REASONING)
    finally:
        for backend in b.values():
            backend.fault.mode = "pass"
    answered_500 = {g: x.fault.count(CHAT) - before[g] for g, x in b.items()}
    answered_500["llama"] -= 1  # the fallback that served the code request
    assert fell_back.status_code == 200, fell_back.text
    assert fell_back.headers["x-litellm-model-group"] == "llama"
    assert failed.status_code >= 500

    s = scrape_until(fresh_proxy, "agent_router_requests_total", 8)
    req = "agent_router_requests_total"
    assert value(s, req, model="qwen-coder", intent="code", status="success") == 3
    assert value(s, req, model="deepseek-r1", intent="reasoning", status="success") == 2
    assert value(s, req, model="llama", intent="general", status="success") == 1
    assert value(s, req, model="llama", intent="code", status="success") == 1
    assert value(s, req, model="deepseek-r1", intent="reasoning", status="error") == 1
    assert total(s, req) == 8
    served = "agent_router_model_requests_total"
    assert {m: value(s, served, model=m) for m in b} == {
        "llama": 2, "qwen-coder": 3, "deepseek-r1": 2,
    }
    fallbacks = "agent_router_fallback_requests_total"
    assert value(s, fallbacks, from_model="qwen-coder", to_model="llama") == 1
    assert total(s, fallbacks) == 1
    rate = "agent_router_fallback_rate"
    # 1 of the 4 requests routed to qwen-coder was served by a fallback; the failed request is
    # counted for deepseek-r1 without a fallback serving it.
    assert {m: value(s, rate, model=m) for m in b} == {
        "llama": 0, "qwen-coder": 0.25, "deepseek-r1": 0,
    }
    latency = "agent_router_latency_seconds_count"
    assert value(s, latency, model="qwen-coder", intent="code") == 3
    assert value(s, latency, model="llama", intent="code") == 1
    assert total(s, latency) == 7  # successes only
    assert value(s, "agent_router_classification_latency_seconds_count") == 8
    decided = "agent_router_intent_classification_total"
    assert {i: total(s, decided, intent=i) for i in ("code", "reasoning", "general")} == {
        "code": 4, "reasoning": 3, "general": 1,
    }
    # One count per failed deployment attempt (first try, retry, each fallback hop): exactly the
    # 500s the backends' fault proxies answered.
    errors = "agent_router_errors_total"
    assert {m: value(s, errors, model=m, error_type="http_5xx") for m in b} == answered_500
    assert total(s, errors) == sum(answered_500.values())

    print("\n".join(  # the non-zero series, for the CI log (pytest -s)
        line for line in scrape(proxy).splitlines()
        if line.startswith("agent_router_") and "_bucket" not in line and "_created" not in line
        and not line.endswith(" 0.0")
    ))
    # The separate exporter serves the same series, without authentication. The two reads are
    # not atomic: the health monitor may flip agent_router_model_health between them (the 500s
    # above mark models unhealthy until their next probes; seen in a loaded run), so they are
    # compared until one pair of reads agrees.
    exported = httpx.get(f"http://127.0.0.1:{proxy.metrics_port}/metrics")
    assert exported.status_code == 200
    eventually(lambda: parse(httpx.get(f"http://127.0.0.1:{proxy.metrics_port}/metrics").text)
               == parse(scrape(proxy)), 30, "the exporter and the proxy's /metrics agreeing")
    # The proxy's /metrics also carries LiteLLM's own series, behind the master key.
    assert "litellm_deployment_successful_fallbacks_total" in scrape(proxy)
    assert httpx.get(proxy.base_url + "/metrics/").status_code == 401


def worker_counts(multiproc_dir: Path, name: str) -> dict[int, float]:
    """Per worker pid: the sum of `name` in that worker's own sample file."""
    counts: dict[int, float] = {}
    for path in multiproc_dir.glob("counter_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        # prometheus_client 0.26 leaves this reader unannotated; it yields (key, value, timestamp, pos).
        values = MmapedDict.read_all_values_from_file(str(path))  # type: ignore[no-untyped-call]
        counts[pid] = sum(
            v for key, v, _, _ in values
            if json.loads(key)[1] == name  # key: [family, sample name, labels, ...]
        )
    return counts


def test_two_workers_sum_their_counts(
    healthy_backends: dict[str, Backend], log_dir: Path, tmp_path: Path
) -> None:
    backends = healthy_backends
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    env = {
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),  # else LiteLLM picks one shared by all proxies
        # uvicorn kills a worker not ready within 5 s; importing LiteLLM takes longer on 2 cores.
        "TIMEOUT_WORKER_HEALTHCHECK": "600",
    }
    with launch_proxy(
        backends, log_dir, name="litellm-2-workers", extra_env=env, workers=2, timeout=600
    ) as proxy:
        sent = 0
        # Both workers accept on one socket; fresh connections until each has served some.
        while sent < 60:
            resp = httpx.post(
                proxy.base_url + CHAT, timeout=60,
                headers={"Authorization": f"Bearer {proxy.master_key}", "Connection": "close"},
                json={"model": "agent-router", "max_tokens": 8,
                      "messages": [{"role": "user", "content": CODE}]},
            )
            assert resp.status_code == 200, resp.text
            sent += 1
            per_worker = worker_counts(multiproc, "agent_router_requests_total")
            if sent >= 6 and len(per_worker) == 2 and min(per_worker.values()) > 0:
                break
        s = scrape_until(proxy, "agent_router_requests_total", sent)
        per_worker = worker_counts(multiproc, "agent_router_requests_total")
        assert len(per_worker) == 2 and min(per_worker.values()) > 0, per_worker
        assert sum(per_worker.values()) == sent
        assert value(s, "agent_router_requests_total",
                     model="qwen-coder", intent="code", status="success") == sent
        assert value(s, "agent_router_model_requests_total", model="qwen-coder") == sent
        assert value(s, "agent_router_classification_latency_seconds_count") == sent
        # Gauges are merged per their multiprocess_mode: one sample per label set, no pid label.
        rates = [k for k in s if k[0] == "agent_router_fallback_rate"]
        assert sorted(dict(lbl)["model"] for _, lbl in rates) == sorted(backends)
        # One worker won the exporter election; it serves the same sums.
        owner = int((multiproc / "agent_router_exporter.lock").read_text().split()[0])
        assert owner in per_worker
        exported = httpx.get(f"http://127.0.0.1:{proxy.metrics_port}/metrics")
        assert parse(exported.text) == parse(scrape(proxy))
        log = proxy.process.log_path.read_text(errors="replace")
        assert "Duplicated timeseries" not in log
        assert log.count("another worker serves the metrics exporter") <= 1
        print(f"multi-worker: sent={sent} per_worker={per_worker}")


def test_model_health_gauge_follows_a_stopped_backend(
    healthy_backends: dict[str, Backend], log_dir: Path, tmp_path: Path
) -> None:
    backends = healthy_backends
    document = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    # Probe every second (30 s by default) so the test sees the change quickly.
    document["agent_router"]["health"] = {
        "interval_seconds": 1.0, "timeout_seconds": 1.0, "unhealthy_after": 2, "healthy_after": 2,
    }
    config = tmp_path / "health-1s.yaml"
    config.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    with launch_proxy(backends, log_dir, config=config, name="litellm-metrics-health") as proxy:
        victim = backends["deepseek-r1"]
        health = "agent_router_model_health"

        def gauge(model: str) -> float | None:
            return parse(scrape(proxy)).get((health, frozenset({("model", model)})))

        def wait_until(model: str, expected: float, timeout: float = 60) -> None:
            eventually(lambda: gauge(model), timeout, f"{health}{{model={model!r}}} = {expected}",
                       until=lambda value: value == expected, interval=0.5)

        try:
            for model in backends:
                wait_until(model, 1.0)
            victim.kill()
            wait_until("deepseek-r1", 0.0)
            assert gauge("llama") == 1.0 and gauge("qwen-coder") == 1.0
            exported = parse(httpx.get(f"http://127.0.0.1:{proxy.metrics_port}/metrics").text)
            assert exported[(health, frozenset({("model", "deepseek-r1")}))] == 0.0
            victim.ensure_running()
            wait_until("deepseek-r1", 1.0)
        finally:
            victim.ensure_running()
