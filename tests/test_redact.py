"""URL credentials never leave through headers or metrics: the redaction pieces, without a proxy."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY, CollectorRegistry, Gauge, generate_latest, make_asgi_app

from plugins.metrics.exporter import MetricsExporter
from plugins.metrics.redacting import redacting_registry
from plugins.redact import has_credentials, without_credentials
from router_hooks.metrics_mount import redact_mounted_metrics, redact_when_mounted
from scripts.stack import free_port

SECRET_BASE = "http://svc-user:s3cr3t-pass@10.0.0.7:8080/v1?token=abc"


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        (SECRET_BASE, "http://10.0.0.7:8080/v1"),
        ("https://only-user@host/v1", "https://host/v1"),
        ("http://[::1]:9000/v1", "http://[::1]:9000/v1"),
        ("http://127.0.0.1:8081/v1", "http://127.0.0.1:8081/v1"),
    ],
)
def test_without_credentials(url: str, clean: str) -> None:
    assert without_credentials(url) == clean


def test_has_credentials() -> None:
    assert has_credentials(SECRET_BASE) and has_credentials("http://u@h")
    assert not has_credentials("http://h:1/v1") and not has_credentials("not a url")


def deployment_gauge(registry: CollectorRegistry, name: str = "litellm_deployment_state") -> Gauge:
    gauge = Gauge(name, "like LiteLLM's", ["api_base", "model"], registry=registry)
    gauge.labels(api_base=SECRET_BASE, model="qwen").set(1)
    gauge.labels(api_base="http://127.0.0.1:8080/v1", model="llama").set(0)
    return gauge


def test_redacting_registry_rewrites_only_label_values_with_credentials() -> None:
    source = CollectorRegistry()
    deployment_gauge(source)
    text = generate_latest(redacting_registry(source)).decode()
    assert "svc-user" not in text and "s3cr3t" not in text
    assert 'api_base="http://10.0.0.7:8080/v1",model="qwen"' in text
    assert 'api_base="http://127.0.0.1:8080/v1",model="llama"' in text
    # Scrapers asking for some series only (name[]) still get them, redacted.
    restricted = generate_latest(redacting_registry(source).restricted_registry(["litellm_deployment_state"]))
    assert b"10.0.0.7:8080/v1" in restricted and b"s3cr3t" not in restricted
    # The source itself is untouched (LiteLLM keeps its labels).
    assert "s3cr3t" in generate_latest(source).decode()


@pytest.mark.process  # binds a 127.0.0.1 port
def test_the_exporter_serves_no_credentials() -> None:
    import urllib.request

    source = CollectorRegistry()
    deployment_gauge(source)
    exporter = MetricsExporter("127.0.0.1", free_port(), registry=source)
    assert exporter.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{exporter.port}/metrics", timeout=10) as resp:
            text = resp.read().decode()
    finally:
        exporter.stop()
    assert "litellm_deployment_state" in text and "s3cr3t" not in text and "svc-user" not in text


@pytest.fixture()
def global_gauge() -> Iterator[Gauge]:
    # LiteLLM's /metrics renders the global registry: a series of its own there, removed after.
    gauge = deployment_gauge(REGISTRY, "agent_router_test_redaction_state")
    try:
        yield gauge
    finally:
        REGISTRY.unregister(gauge)


def test_the_proxys_metrics_mount_is_re_served_redacted(global_gauge: Gauge) -> None:
    app = FastAPI()
    assert redact_mounted_metrics(app, None) is False  # not mounted yet: nothing to do
    app.mount("/metrics", make_asgi_app(REGISTRY))  # what LiteLLM does, later than the bundle
    with TestClient(app) as client:
        assert "s3cr3t" in client.get("/metrics/").text
        assert asyncio.run(redact_when_mounted(app, None, timeout=1.0, poll=0.01)) is True
        text = client.get("/metrics/").text
    assert "agent_router_test_redaction_state" in text
    assert "s3cr3t" not in text and "svc-user" not in text
    assert asyncio.run(redact_when_mounted(FastAPI(), None, timeout=0.05, poll=0.01)) is False
