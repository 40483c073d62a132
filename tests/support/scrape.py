"""Reading the proxy's `agent_router_*` series in tests: parse a scrape, sum samples, wait for counts."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.support.cluster import Proxy
from tests.support.wait import eventually

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("agent_router_") and not s.name.endswith("_created")
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    want = set(labels.items())
    return sum(v for (n, lbl), v in samples.items() if n == name and want <= lbl)


def scrape(proxy: Proxy) -> str:
    # LiteLLM mounts /metrics as a sub-app: /metrics answers 307 to /metrics/.
    resp = proxy.client.get("/metrics/")
    assert resp.status_code == 200, resp.text[:300]
    return resp.text


def scrape_until(proxy: Proxy, name: str, expected: float, timeout: float = 60) -> Samples:
    """Success callbacks run after the response is sent: wait until they have all landed."""
    return eventually(lambda: parse(scrape(proxy)), timeout, f"{expected:g} {name} counted",
                      until=lambda samples: total(samples, name) >= expected, interval=0.5)
