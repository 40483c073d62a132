"""Servers this project writes bind port 0 and report the port they got; the exporter's port is
read back from the proxy's /router/health."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from scripts.bench.stub_backend import serve
from scripts.fault_proxy import FaultProxy
from scripts.stack import exporter_url

pytestmark = pytest.mark.process  # binds 127.0.0.1 ports


def test_the_bench_stub_on_port_zero_writes_the_port_it_listens_on(tmp_path: Path) -> None:
    port_file = tmp_path / "stub.port"

    async def scenario() -> int:
        server = asyncio.create_task(serve("127.0.0.1", 0, port_file))
        try:
            for _ in range(200):
                if port_file.exists():
                    break
                await asyncio.sleep(0.01)
            port = int(port_file.read_text())
            async with httpx.AsyncClient() as client:
                assert (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200
            return port
        finally:
            server.cancel()

    assert asyncio.run(scenario()) > 0


def test_the_fault_proxy_binds_port_zero_and_reports_it() -> None:
    fault = FaultProxy(upstream_port=1)
    try:
        assert fault.port > 0 and fault.api_base == f"http://127.0.0.1:{fault.port}/v1"
    finally:
        fault.stop()


@pytest.fixture()
def health_server() -> Iterator[tuple[str, list[dict[str, object]]]]:
    """A stand-in proxy answering /router/health with the next queued exporter object (503 like a
    proxy with no healthy model, to show the body is read either way)."""
    answers: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.path == "/router/health" and self.headers["Authorization"] == "Bearer sk-k"
            body = json.dumps({"models": {}, "exporter": answers.pop(0)}).encode() if ok else b"{}"
            self.send_response(503 if ok else 401)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", answers
    finally:
        server.shutdown()
        server.server_close()


def test_the_exporter_url_is_what_health_reports_and_only_when_it_serves(
    health_server: tuple[str, list[dict[str, object]]],
) -> None:
    base, answers = health_server
    answers.append({"state": "serving", "host": "127.0.0.1", "port": 41999, "pid": 1, "answered_by": 1})
    assert exporter_url(base, "sk-k") == "http://127.0.0.1:41999/metrics"
    answers.append({"state": "bind_failed", "host": "127.0.0.1", "port": 8001, "pid": 1, "answered_by": 1})
    with pytest.raises(RuntimeError, match="bind_failed"):
        exporter_url(base, "sk-k")
