"""The bundle's lifecycle: building starts nothing; start() binds, probes and mounts; stop() undoes it."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from plugins.config import CaptureSettings, ConfigError, load_config
from router_hooks.bundle import build_bundle
from router_hooks.routes import HEALTH_PATH, INFO_PATH
from scripts.stack import ROOT, free_port
from tests.support.fake_router import FakeRouter

CONFIG = load_config(ROOT / "litellm_config.yaml")


def _bound(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _paths(app: FastAPI) -> set[str]:
    return {str(getattr(r, "path", "")) for r in app.router.routes}


@pytest.mark.process  # start() binds the exporter's 127.0.0.1 port
def test_building_is_pure_and_start_stop_own_every_background_piece() -> None:
    port = free_port()
    router = FakeRouter()
    threads_before = set(threading.enumerate())
    bundle = build_bundle(CONFIG, lambda: router,
                          {"AGENT_ROUTER_METRICS_PORT": str(port), "AGENT_ROUTER_METRICS_HOST": "127.0.0.1"},
                          registry=CollectorRegistry())
    assert set(threading.enumerate()) == threads_before and not _bound(port)
    assert bundle.monitor is not None and not bundle.monitor.running
    app = FastAPI()

    async def lifecycle() -> None:
        bundle.start(app)
        try:
            assert bundle.monitor is not None and bundle.monitor.running
            assert bundle.refresher.running and _bound(port)
            assert {HEALTH_PATH, INFO_PATH} <= _paths(app)
            body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            assert "agent_router_requests_total" in body
        finally:
            await bundle.stop()

    asyncio.run(lifecycle())
    assert bundle.monitor is not None and not bundle.monitor.running
    assert not bundle.refresher.running and not _bound(port)
    assert not {HEALTH_PATH, INFO_PATH} & _paths(app)


def test_port_zero_and_disabled_health_build_no_exporter_and_no_monitor() -> None:
    config = CONFIG.model_copy(update={"health": CONFIG.health.model_copy(update={"enabled": False})})
    bundle = build_bundle(config, lambda: None, {"AGENT_ROUTER_METRICS_PORT": "0"}, registry=CollectorRegistry())
    assert bundle.exporter is None and bundle.monitor is None


@pytest.mark.process  # start() binds the exporter's 127.0.0.1 port
def test_auto_binds_the_kernels_port_and_health_reports_the_exporter_without_changing_its_code() -> None:
    config = CONFIG.model_copy(update={"health": CONFIG.health.model_copy(update={"enabled": False})})
    bundle = build_bundle(config, lambda: FakeRouter(),
                          {"AGENT_ROUTER_METRICS_PORT": "auto", "AGENT_ROUTER_METRICS_HOST": "127.0.0.1"},
                          registry=CollectorRegistry())
    assert bundle.exporter is not None and bundle.exporter.port == 0

    async def health() -> tuple[int, dict[str, object]]:
        bundle.start(FastAPI())
        try:
            assert bundle.routes is not None
            resp = await bundle.routes.health()
            return resp.status_code, json.loads(bytes(resp.body))
        finally:
            await bundle.stop()

    status, body = asyncio.run(health())
    exporter = body["exporter"]
    assert isinstance(exporter, dict) and exporter["state"] == "serving"
    assert exporter["port"] not in (0, None) and exporter["port"] == bundle.exporter.port
    assert exporter["host"] == "127.0.0.1" and exporter["pid"] == exporter["answered_by"] == os.getpid()
    # The status code stays the models' business alone.
    models = body["models"]
    assert isinstance(models, dict) and set(body) == {"models", "exporter"}
    assert status == (200 if any(m["status"] == "healthy" for m in models.values()) else 503)


def test_port_zero_reports_the_exporter_off() -> None:
    bundle = build_bundle(CONFIG, lambda: None, {"AGENT_ROUTER_METRICS_PORT": "0"}, registry=CollectorRegistry())
    assert bundle.exporter is None and bundle.watchdog is None
    assert bundle.exporter_json() == {"state": "off", "host": None, "port": None, "pid": None,
                                      "answered_by": os.getpid()}


@pytest.mark.parametrize("spelling", ["Auto", "-1", "65536", "8001x"])
def test_a_metrics_port_that_is_neither_a_port_nor_auto_stops_start_up(spelling: str) -> None:
    with pytest.raises(ConfigError, match="AGENT_ROUTER_METRICS_PORT"):
        build_bundle(CONFIG, lambda: None, {"AGENT_ROUTER_METRICS_PORT": spelling}, registry=CollectorRegistry())


def test_an_unwritable_capture_directory_stops_start_up_naming_it_with_nothing_started(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    config = CONFIG.model_copy(update={"capture": CaptureSettings(dir=str(blocker / "capture"))})
    threads_before = set(threading.enumerate())
    bundle = build_bundle(config, lambda: None, {"AGENT_ROUTER_METRICS_PORT": "0"}, registry=CollectorRegistry())
    with pytest.raises(ConfigError, match=r"agent_router\.capture\.dir: .*not-a-dir/capture"):
        bundle.start(FastAPI())
    assert set(threading.enumerate()) == threads_before and not bundle.refresher.running
