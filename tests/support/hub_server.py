"""A small Hugging Face Hub stand-in on 127.0.0.1 for scripts/download_model.sh.

It speaks the two endpoints the script uses (`/api/models/<repo>/tree/<rev>` and
`/<repo>/resolve/<rev>/<path>`), honours `Range: bytes=N-`, and can misbehave per file: answer
404, drop the connection half-way, or hold the response until a second download arrives (which
proves the downloads run in parallel without timing anything).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import unquote, urlsplit

Behaviour = Literal["serve", "missing", "drop", "rendezvous"]
_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)$")
_TREE = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)/tree/(?P<rev>[^/]+)$")


@dataclass
class HubFile:
    data: bytes
    lfs: bool = True
    behaviour: Behaviour = "serve"
    listed_sha256: str | None = None  # defaults to the real digest; set it to serve a wrong one

    def tree_entry(self, path: str) -> dict[str, object]:
        entry: dict[str, object] = {"type": "file", "path": path, "size": len(self.data),
                                    "oid": hashlib.sha1(self.data).hexdigest()}
        if self.lfs:
            digest = self.listed_sha256 or hashlib.sha256(self.data).hexdigest()
            entry["lfs"] = {"oid": digest, "size": len(self.data), "pointerSize": 134}
        return entry


@dataclass(frozen=True)
class Request:
    path: str
    range: str | None
    authorization: str | None


@dataclass
class FakeHub:
    repos: dict[str, dict[str, HubFile]]
    private_repos: set[str] = field(default_factory=set)  # listing answers 401 without a token
    token: str | None = None
    requests: list[Request] = field(default_factory=list)
    rendezvous: threading.Barrier = field(default_factory=lambda: threading.Barrier(2, timeout=30))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def downloads(self, repo: str, path: str) -> list[Request]:
        wanted = f"/{repo}/resolve/main/{path}"
        return [r for r in self.requests if r.path == wanted]


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path)
            auth = self.headers.get("Authorization")
            hub.record(Request(path, self.headers.get("Range"), auth))
            if (match := _TREE.match(path)) is not None:
                self._tree(match["repo"], auth)
            elif (match := _RESOLVE.match(path)) is not None:
                self._resolve(match["repo"], match["path"])
            else:
                self._send(404, b'{"error":"not found"}')

        def _tree(self, repo: str, auth: str | None) -> None:
            files = hub.repos.get(repo)
            if files is None:
                self._send(404, b'{"error":"Repository not found"}')
            elif repo in hub.private_repos and auth != f"Bearer {hub.token}":
                self._send(401, b'{"error":"Access to model is restricted"}')
            else:
                body = json.dumps([f.tree_entry(p) for p, f in files.items()]).encode()
                self._send(200, body, {"Content-Type": "application/json"})

        def _resolve(self, repo: str, path: str) -> None:
            file = hub.repos.get(repo, {}).get(path)
            if file is None or file.behaviour == "missing":
                self._send(404, b"Entry not found")
                return
            if file.behaviour == "rendezvous":
                try:
                    hub.rendezvous.wait()
                except threading.BrokenBarrierError:
                    self._send(500, b"no second download arrived: downloads are not parallel")
                    return
            start = 0
            if (rng := self.headers.get("Range")) and (m := re.fullmatch(r"bytes=(\d+)-", rng)):
                start = int(m[1])
                if start >= len(file.data):
                    self._send(416, b"", {"Content-Range": f"bytes */{len(file.data)}"})
                    return
            body = file.data[start:]
            self.send_response(206 if start else 200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes")
            if start:
                end = len(file.data) - 1
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(file.data)}")
            self.end_headers()
            if file.behaviour == "drop":
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.wfile.write(body)

    return Handler


@contextmanager
def serve_hub(hub: FakeHub) -> Iterator[str]:
    """Run the hub on a free port of 127.0.0.1; yield its base URL; stop it on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
