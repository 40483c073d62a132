"""The separate /metrics exporter: serves the registry, one per multi-process directory."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import CollectorRegistry

from plugins.metrics.exporter import (
    LOCK_NAME,
    MetricsExporter,
    Refresher,
    forget_dead_workers,
)
from plugins.metrics.series import RouterMetrics
from scripts.stack import free_port

# Binds 127.0.0.1 ports (the exporter's HTTP server) and starts a short `true` process.
pytestmark = pytest.mark.process


@pytest.fixture()
def exporters() -> Iterator[list[MetricsExporter]]:
    started: list[MetricsExporter] = []
    yield started
    for exporter in started:
        exporter.stop()


def test_serves_the_registry(exporters: list[MetricsExporter]) -> None:
    registry = CollectorRegistry()
    metrics = RouterMetrics(["llama"], ["general"], registry=registry)
    metrics.served("llama", "llama", "general", 0.2)
    exporter = MetricsExporter("127.0.0.1", free_port(), registry=registry)
    exporters.append(exporter)
    assert exporter.start()
    body = httpx.get(f"http://127.0.0.1:{exporter.port}/metrics").text
    assert 'agent_router_model_requests_total{model="llama"} 1.0' in body


def test_one_exporter_per_multiprocess_directory(
    tmp_path: Path, exporters: list[MetricsExporter]
) -> None:
    port = free_port()
    first = MetricsExporter("127.0.0.1", port, multiproc_dir=str(tmp_path))
    second = MetricsExporter("127.0.0.1", port, multiproc_dir=str(tmp_path))
    exporters += [first, second]
    assert first.start()
    assert not second.start()  # lost the election: does not even try to bind
    assert (tmp_path / LOCK_NAME).exists()
    assert httpx.get(f"http://127.0.0.1:{port}/metrics").status_code == 200
    first.stop()  # the lock goes with the exporter (or with its process)
    assert second.start()


def test_a_taken_port_is_not_fatal(exporters: list[MetricsExporter]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        exporter = MetricsExporter("127.0.0.1", sock.getsockname()[1], registry=CollectorRegistry())
        exporters.append(exporter)
        assert not exporter.start()
        assert not exporter.serving


def test_refresher_calls_until_stopped() -> None:
    calls = threading.Semaphore(0)
    refresher = Refresher(calls.release, 0.01)
    assert not refresher.running  # constructing starts nothing
    refresher.start()
    try:
        assert calls.acquire(timeout=5) and calls.acquire(timeout=5)
    finally:
        refresher.stop()
    assert not refresher.running
    with pytest.raises(ValueError, match="positive"):
        Refresher(calls.release, 0)


def test_live_gauges_of_dead_workers_are_forgotten(tmp_path: Path) -> None:
    dead_pid = _exited_pid()
    live = tmp_path / f"gauge_livemin_{os.getpid()}.db"
    gone = tmp_path / f"gauge_livemax_{dead_pid}.db"
    counts = tmp_path / f"counter_{dead_pid}.db"
    for path in (live, gone, counts):
        path.write_bytes(b"")
    assert forget_dead_workers(str(tmp_path)) == [dead_pid]
    assert live.exists() and counts.exists() and not gone.exists()


def _exited_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()  # reaped: the pid is free (reuse within this test is vanishingly unlikely)
    return proc.pid
