"""The observability kit against real tools: promtool checks the deploy files, and a real
Prometheus server (Debian's `prometheus` package) scrapes a real proxy."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from scripts.stack import ROOT, Managed, free_port, spawn, wait_http
from tests.support.cluster import Backend, Proxy
from tests.support.wait import eventually

PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="no promtool: run `make promtool`")


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60)


@needs_promtool
@pytest.mark.process
def test_scrape_config_is_valid() -> None:
    result = promtool("check", "config", str(PROMETHEUS_DIR / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout


@needs_promtool
@pytest.mark.process
def test_alert_rules_are_valid_and_cover_the_issue() -> None:
    result = promtool("check", "rules", str(PROMETHEUS_DIR / "alerts.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    rules = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"][0]["rules"]
    exprs = {r["alert"]: r["expr"] for r in rules}
    assert "agent_router_model_health" in exprs["AgentRouterAllModelsUnhealthy"]
    assert "agent_router_fallback_rate" in exprs["AgentRouterHighFallbackRate"]
    assert 'status="error"' in exprs["AgentRouterHighErrorRatio"]
    assert "histogram_quantile(0.95" in exprs["AgentRouterHighLatencyP95"]


@needs_promtool
@pytest.mark.process
def test_alerts_fire_on_the_series_they_watch() -> None:
    # Synthetic series in, expected alerts (labels and rendered annotations) out.
    result = promtool("test", "rules", str(ROOT / "tests" / "prometheus" / "alerts_test.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_config_scrapes_the_exporter_once() -> None:
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    targets = [t for job in config["scrape_configs"] for sc in job["static_configs"]
               for t in sc["targets"]]
    # The proxy's /metrics carries the same series: scraping both would double every sum.
    assert targets.count("litellm:8001") == 1
    assert not any(t.endswith(":4000") for t in targets)


def local_config(proxy: Proxy, backends: dict[str, Backend], rules: Path) -> dict[str, Any]:
    """The deploy config, pointed at this test's processes, plus a job for the proxy's /metrics."""
    config: dict[str, Any] = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(rules)]
    local = {
        "agent-router": [f"127.0.0.1:{proxy.metrics_port}"],
        "max-serve": [f"127.0.0.1:{b.metrics_port}" for b in backends.values()],
    }
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": local[job["job_name"]]}]
    config["scrape_configs"].append({
        "job_name": "proxy",
        "metrics_path": "/metrics/",
        "authorization": {"credentials": proxy.master_key},
        "static_configs": [{"targets": [f"127.0.0.1:{proxy.port}"]}],
    })
    return config


@pytest.fixture()
def prometheus(
    proxy: Proxy, healthy_backends: dict[str, Backend], tmp_path: Path, log_dir: Path
) -> Iterator[str]:
    if PROMETHEUS is None:
        pytest.skip("no prometheus server: run `make promtool`")
    rules = tmp_path / "alerts.yml"
    shutil.copy(PROMETHEUS_DIR / "alerts.yml", rules)
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(local_config(proxy, healthy_backends, rules)))
    port = free_port()
    server: Managed = spawn("prometheus", [
        PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ], {}, log_dir)
    try:
        wait_http(f"http://127.0.0.1:{port}/-/ready", server, 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def query(base: str, promql: str) -> dict[str, float]:
    """job -> value of an instant query grouped by job."""
    resp = httpx.get(f"{base}/api/v1/query", params={"query": promql}, timeout=10)
    resp.raise_for_status()
    return {r["metric"].get("job", ""): float(r["value"][1]) for r in resp.json()["data"]["result"]}


def proxy_total(proxy: Proxy) -> float:
    text = proxy.client.get("/metrics/").text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("agent_router_requests_total{"))


@pytest.mark.integration
def test_prometheus_scrapes_the_proxy(prometheus: str, proxy: Proxy) -> None:
    before = proxy_total(proxy)
    for prompt in ("Write a Python function with a regex", "Solve 2 + 3 step by step",
                   "Tell me a story"):
        assert proxy.chat(prompt).status_code == 200
    # Success callbacks run after the response is sent; then Prometheus scrapes every second.
    expected = eventually(lambda: proxy_total(proxy), 60, "3 requests counted",
                          until=lambda total: total >= before + 3, interval=0.5)
    want = {"agent-router": expected, "proxy": expected}
    eventually(lambda: query(prometheus, "sum by (job) (agent_router_requests_total)"), 30,
               f"scraped as {want}", until=lambda got: got == want, interval=0.5)
    # A backend restarted by an earlier test may not have been scraped yet: wait for the scrapes.
    want_up = {"agent-router": 1.0, "max-serve": 3.0, "proxy": 1.0}
    eventually(lambda: query(prometheus, "count by (job) (up == 1)"), 30, f"every target up ({want_up})",
               until=lambda up: up == want_up, interval=0.5)
    rules = httpx.get(f"{prometheus}/api/v1/rules", timeout=10).json()["data"]["groups"]
    assert {r["name"] for g in rules for r in g["rules"]} >= {
        "AgentRouterAllModelsUnhealthy", "AgentRouterHighFallbackRate",
        "AgentRouterHighErrorRatio", "AgentRouterHighLatencyP95",
        "AgentRouterShadowAgreementLow", "AgentRouterReportedErrorRateHigh",
    }
    assert all(r.get("health") == "ok" for g in rules for r in g["rules"]), rules


@pytest.mark.integration
def test_every_dashboard_query_evaluates_and_the_feedback_panels_read_a_report(
    prometheus: str, proxy: Proxy,
) -> None:
    def reported() -> dict[str, float]:
        return query(prometheus, 'sum by (job) (agent_router_feedback_total{job="agent-router"})')

    # The counter must be scraped before the report too: increase() needs the value it rose from.
    before = eventually(reported, 30, "the feedback series scraped", until=lambda got: "agent-router" in got,
                        interval=0.5)["agent-router"]
    resp = proxy.chat("Write a Python function that parses a CSV file with a regex")
    assert resp.status_code == 200
    report = proxy.client.post("/router/feedback", json={"id": resp.json()["id"], "intent": "code"})
    assert report.status_code == 200 and report.json()["predicted_intent"] == "code"
    eventually(reported, 30, "the report scraped", until=lambda got: got["agent-router"] >= before + 1, interval=0.5)
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "dashboards" / "agent-router.json").read_text())
    exprs = {p["title"]: [t["expr"] for t in p["targets"]] for p in dashboard["panels"]}
    for title, targets in exprs.items():
        for expr in targets:
            promql = expr.replace("$__rate_interval", "1m").replace("$__range", "10m")
            got = httpx.get(f"{prometheus}/api/v1/query", params={"query": promql}, timeout=10).json()
            assert got["status"] == "success", (title, expr, got)
    precision = next(t for t, _ in exprs.items() if t.startswith("Per-intent precision"))
    promql = exprs[precision][0].replace("$__range", "10m")
    rows = httpx.get(f"{prometheus}/api/v1/query", params={"query": promql}, timeout=10).json()["data"]["result"]
    # The one report agreed with the router: precision 1 for code (the other rows have no reports: NaN).
    assert {r["metric"]["predicted_intent"]: float(r["value"][1]) for r in rows}.get("code") == 1.0, rows
