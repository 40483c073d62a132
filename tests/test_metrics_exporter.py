"""The separate /metrics exporter: serves the registry, one per multi-process directory."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIServer

import httpx
import pytest
from prometheus_client import CollectorRegistry

from plugins.metrics.exporter import (
    LOCK_NAME,
    MetricsExporter,
    Refresher,
    bind_http,
    forget_dead_workers,
)
from plugins.metrics.exporter_status import ExporterStatus
from plugins.metrics.series import RouterMetrics
from scripts.stack import free_port
from tests.support.wait import eventually

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


class RecordingBind:
    """The real bind, keeping each server it made so a test can break one from outside."""

    def __init__(self) -> None:
        self.servers: list[WSGIServer] = []

    def __call__(self, host: str, port: int, registry: CollectorRegistry) -> tuple[WSGIServer, threading.Thread]:
        server, thread = bind_http(host, port, registry)
        self.servers.append(server)
        return server, thread


def _listener(port: int) -> socket.socket:
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    sock.listen()
    return sock


def test_port_zero_binds_the_kernels_choice_and_says_which(
    exporters: list[MetricsExporter], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="plugins.metrics.exporter")
    exporter = MetricsExporter("127.0.0.1", 0, registry=CollectorRegistry())
    exporters.append(exporter)
    assert exporter.status().state == "off"  # built, not started
    assert exporter.start()
    assert exporter.port != 0
    assert exporter.status() == ExporterStatus("serving", "127.0.0.1", exporter.port, os.getpid())
    assert f"on http://127.0.0.1:{exporter.port}/metrics" in caplog.text
    assert httpx.get(f"http://127.0.0.1:{exporter.port}/metrics").status_code == 200


def test_a_lost_exporter_is_a_warning_and_is_bound_again_on_its_port(
    exporters: list[MetricsExporter], caplog: pytest.LogCaptureFixture
) -> None:
    bind = RecordingBind()
    exporter = MetricsExporter("127.0.0.1", 0, registry=CollectorRegistry(), bind=bind)
    exporters.append(exporter)
    assert exporter.start()
    port = exporter.port
    assert exporter.check().state == "serving"  # a healthy one is left alone
    assert len(bind.servers) == 1 and "was lost" not in caplog.text
    bind.servers[0].socket.close()  # what a stray close of its descriptor does
    # The server thread's poll() holds the socket until it returns (poll interval 0.5 s): the port
    # is free only then (binding at once failed with "address already in use" in a loaded run).
    taker = eventually(lambda: _listener(port), 5, "the closed exporter's port to be free")
    with taker:  # ...and the port is taken meanwhile: it stays lost
        assert exporter.check() == ExporterStatus("lost", "127.0.0.1", port, os.getpid())
    lost = [r for r in caplog.records if "was lost" in r.getMessage()]
    assert [r.levelno for r in lost] == [logging.WARNING]
    assert "its socket was closed" in lost[0].getMessage()
    caplog.set_level(logging.INFO, logger="plugins.metrics.exporter")
    assert exporter.check() == ExporterStatus("serving", "127.0.0.1", port, os.getpid())
    assert f"bound again on http://127.0.0.1:{port}/metrics" in caplog.text
    assert httpx.get(f"http://127.0.0.1:{port}/metrics").status_code == 200
    assert len([r for r in caplog.records if "was lost" in r.getMessage()]) == 1  # said once


def test_an_ended_server_thread_counts_as_lost(
    exporters: list[MetricsExporter], caplog: pytest.LogCaptureFixture
) -> None:
    def bind_without_serving(host: str, port: int, registry: CollectorRegistry) -> tuple[WSGIServer, threading.Thread]:
        server, thread = bind_http(host, port, registry)
        server.shutdown()  # serve_forever returns: the thread ends, the socket stays open
        thread.join(timeout=5)
        return server, thread

    exporter = MetricsExporter("127.0.0.1", 0, registry=CollectorRegistry(), bind=bind_without_serving)
    exporters.append(exporter)
    assert exporter.start()
    # Lost, then bound again (by the same broken bind: lost again at the next check).
    assert exporter.check().state == "serving"
    assert "was lost (its server thread ended)" in caplog.text


def test_a_taken_port_is_bind_failed_until_it_frees(
    exporters: list[MetricsExporter], caplog: pytest.LogCaptureFixture
) -> None:
    sock = _listener(0)
    port = sock.getsockname()[1]
    exporter = MetricsExporter("127.0.0.1", port, registry=CollectorRegistry())
    exporters.append(exporter)
    assert not exporter.start() and not exporter.serving
    assert exporter.status() == ExporterStatus("bind_failed", "127.0.0.1", port, os.getpid())
    assert exporter.check().state == "bind_failed"
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1  # retries are quiet
    sock.close()
    assert exporter.check().state == "serving"


def test_every_worker_reports_the_elected_exporter_and_one_takes_over_from_a_dead_one(
    tmp_path: Path, exporters: list[MetricsExporter]
) -> None:
    first = MetricsExporter("127.0.0.1", 0, multiproc_dir=str(tmp_path))
    second = MetricsExporter("127.0.0.1", 0, multiproc_dir=str(tmp_path))
    exporters += [first, second]
    assert first.start() and not second.start()
    assert second.status() == first.status() == ExporterStatus("serving", "127.0.0.1", first.port, os.getpid())
    assert second.check().state == "serving"  # the lock is held: it stays a reader
    first.stop()  # as a dead worker's lock is dropped by the kernel
    assert second.check() == ExporterStatus("serving", "127.0.0.1", second.port, os.getpid())
    assert httpx.get(f"http://127.0.0.1:{second.port}/metrics").status_code == 200


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
