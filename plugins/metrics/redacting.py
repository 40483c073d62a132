"""A registry view whose label values carry no URL credentials.

LiteLLM 1.108.7's `litellm_*` series label deployments with their `api_base` as configured, so a
`http://user:password@host/v1` api_base would be served verbatim by every scrape endpoint (ours,
which serves the same default registry, and the proxy's `/metrics`). This wraps a registry: each
scrape yields its families with such values rewritten by `plugins.redact.without_credentials`.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from plugins.redact import has_credentials, without_credentials


class RedactingCollector(Collector):
    def __init__(self, source: CollectorRegistry) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        for family in self._source.collect():
            if any("@" in v and has_credentials(v) for s in family.samples for v in s.labels.values()):
                family.samples = [
                    s._replace(labels={k: _clean(v) for k, v in s.labels.items()}) for s in family.samples
                ]
            yield family


def redacting_registry(source: CollectorRegistry) -> CollectorRegistry:
    """A registry serving `source`'s samples, credentials removed (`name[]` filtering still works)."""
    # The wrapper cannot name its series up front: registered "without names", a restricted
    # scrape (`name[]`) asks it for everything and keeps the requested families.
    registry = CollectorRegistry(auto_describe=False, support_collectors_without_names=True)
    registry.register(RedactingCollector(source))
    return registry


def _clean(value: str) -> str:
    return without_credentials(value) if "@" in value and has_credentials(value) else value
