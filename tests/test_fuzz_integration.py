"""Generated malformed and adversarial requests against the real proxy and MAX echo backends.

Invariants, per request: no 5xx, an answer within ANSWER_BOUND seconds, and no backend call when
the bundle itself rejected the request (its errors say "agent-router:"); after the run: no backend
failure counted against any model, every model still healthy, the proxy alive and routing.

FUZZ_EXAMPLES sets the number of requests (1,000 by default, as CI runs it, the same derandomized
examples every run; `make fuzz` runs 10,000 new ones).
The counts by surface, kind and outcome are printed and written to fuzz-report.json in the log dir.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings

from tests.support.cluster import Backend, Proxy
from tests.support.fuzz_requests import FuzzRequest, fuzz_requests
from tests.support.scrape import parse, total

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1000"))
# CI replays the same derandomized examples every run (a red CI must mean a regression, not a new
# draw); `make fuzz` sets FUZZ_RANDOM=1 to explore new ones.
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"
# Every answer within this bound: generous for multi-MB bodies on a loaded 2-core host.
ANSWER_BOUND = float(os.environ.get("FUZZ_ANSWER_BOUND", "30"))
OURS = "agent-router:"
BACKEND_FAILURES = ("timeout", "connection", "http_5xx")


def backend_calls(backends: Mapping[str, Backend]) -> int:
    """Model calls the backends received (the health monitor's probes excluded)."""
    return sum(n for b in backends.values() for path, n in dict(b.fault.requests).items() if path != "/health")


def error_message(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("message", "")) if isinstance(error, dict) else ""


def outcome(resp: httpx.Response, called: int) -> str:
    if resp.status_code < 400:
        return f"{resp.status_code}"
    source = "bundle" if error_message(resp).startswith(OURS) else ("backend" if called else "litellm")
    return f"{resp.status_code} {source}"


def exported(proxy: Proxy) -> float:
    text = httpx.get(f"http://127.0.0.1:{proxy.metrics_port}/metrics", timeout=10).text
    samples = parse(text)
    return sum(total(samples, "agent_router_errors_total", error_type=kind) for kind in BACKEND_FAILURES)


def test_fuzzed_requests_never_crash_hang_or_reach_a_backend_when_rejected(
    proxy: Proxy, healthy_backends: dict[str, Backend], log_dir: Path
) -> None:
    counts: Counter[tuple[str, str, str]] = Counter()
    failures_before = exported(proxy)
    started = time.monotonic()
    client = httpx.Client(base_url=proxy.base_url, timeout=ANSWER_BOUND,
                          headers={"Authorization": f"Bearer {proxy.master_key}"})

    @settings(max_examples=EXAMPLES, deadline=None, database=None, print_blob=True, derandomize=not RANDOM,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
    @given(request=fuzz_requests())
    def one(request: FuzzRequest) -> None:
        before = backend_calls(healthy_backends)
        sent = time.monotonic()
        resp = client.post(request.path, content=request.body, headers=request.headers)
        elapsed = time.monotonic() - sent
        called = backend_calls(healthy_backends) - before
        counts[(request.surface, request.kind.split(":")[0], outcome(resp, called))] += 1
        assert resp.status_code < 500, (resp.status_code, resp.text[:500])
        assert elapsed < ANSWER_BOUND, elapsed
        if error_message(resp).startswith(OURS):
            assert called == 0, f"rejected by the bundle yet {called} backend call(s)"

    try:
        one()
    finally:
        client.close()
        report(counts, time.monotonic() - started, log_dir)

    assert sum(counts.values()) >= EXAMPLES
    assert exported(proxy) == failures_before, "the fuzz counted backend failures against a model"
    health = proxy.client.get("/router/health").json()["models"]
    assert all(m["status"] == "healthy" for m in health.values()), health
    assert httpx.get(proxy.base_url + "/health/liveliness", timeout=10).status_code == 200
    resp = proxy.chat("Tell me a story about the sea")
    assert resp.status_code == 200 and json.loads(resp.headers["x-routing-metadata"])["model_id"]


def report(counts: Counter[tuple[str, str, str]], seconds: float, log_dir: Path) -> None:
    by_outcome: Counter[str] = Counter()
    for (_, _, result), n in counts.items():
        by_outcome[result] += n
    rows = [{"surface": s, "kind": k, "outcome": o, "count": n} for (s, k, o), n in sorted(counts.items())]
    summary = {"requests": sum(counts.values()), "seconds": round(seconds, 1),
               "by_outcome": dict(sorted(by_outcome.items())), "rows": rows}
    (log_dir / "fuzz-report.json").write_text(json.dumps(summary, indent=1))
    print(f"\nfuzz: {summary['requests']} requests in {summary['seconds']} s: {summary['by_outcome']}")
