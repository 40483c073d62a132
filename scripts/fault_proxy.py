"""A tiny HTTP forwarder that sits in front of a real MAX Serve process and injects faults.

Modes: `pass` forwards everything (streams included, chunk by chunk); `error500`, `error400`,
`error404` and `error422` answer that status with an OpenAI-style body (the 4xx ones as a backend
rejecting the request itself would); `close` drops the connection without answering. When the
upstream refuses connections (its process stopped), the client's connection is dropped too, so
LiteLLM sees a connection error, as it would without this forwarder. It runs in a thread of the
test process and is stopped by the test that started it.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

Mode = Literal["pass", "error500", "error400", "error404", "error422", "close"]
# mode -> (status, OpenAI error type) of the answer it injects
_INJECTED: dict[str, tuple[int, str]] = {
    "error500": (500, "server_error"),
    "error400": (400, "invalid_request_error"),
    "error404": (404, "invalid_request_error"),
    "error422": (422, "invalid_request_error"),
}
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class FaultProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.mode: Mode = "pass"
        self.requests: dict[str, int] = {}  # path -> count, to see what reached the backend
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def count(self, path: str) -> int:
        with self._lock:
            return self.requests.get(path, 0)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                return

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                with proxy._lock:
                    proxy.requests[self.path] = proxy.requests.get(self.path, 0) + 1
                mode = proxy.mode
                if mode == "close":
                    self._drop()
                    return
                if mode in _INJECTED:
                    status, kind = _INJECTED[mode]
                    payload = json.dumps({"error": {"message": f"injected {status}", "type": kind,
                                                    "param": None, "code": str(status)}}).encode()
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    upstream = conn.getresponse()
                except (ConnectionError, OSError):
                    self._drop()
                    return
                self.send_response(upstream.status)
                for key, value in upstream.getheaders():
                    if key.lower() not in _HOP:
                        self.send_header(key, value)
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                try:
                    while chunk := upstream.read1(65536):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                except (ConnectionError, OSError):
                    self.close_connection = True
                finally:
                    conn.close()

            def _drop(self) -> None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            do_GET = _forward
            do_POST = _forward

        return Handler
